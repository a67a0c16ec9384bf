-- building_factors: one building's factor table on $day.
with final as (
    select factor, value, points, weight, contribution
    from building_factors
    where building_id = $building_id and day = $day
)
select * from final order by contribution desc
