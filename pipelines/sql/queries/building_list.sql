-- building_list: buildings for pickers, in one street or all ($street null).
with final as (
    select building_id, building_name, street
    from buildings
    where $street is null or street = $street
)
select * from final order by street, building_id
