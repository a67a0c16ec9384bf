-- key_points: the current 重要点位 in scope, for the map (positions converted to WGS-84 in Python).
with final as (
    select point_id, point_name, point_type, street, address, lon, lat, crs
    from key_points
    where $street is null or street = $street
)
select * from final
order by point_type, point_id
