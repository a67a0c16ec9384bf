-- Buildings and key points must lie in Shanghai; a latitude and longitude typed the wrong way round is named
-- as such.
with points as (
    select 'buildings' as kind, sheet, row_no, lon, lat from stg_buildings
    union all
    select 'key_points' as kind, sheet, row_no, lon, lat from stg_key_points
),
located as (
    select kind, sheet, row_no, lon, lat,
           '(' || cast(lon as varchar) || ', ' || cast(lat as varchar) || ')' as shown,
           lon between 120.85 and 122.20 and lat between 30.66 and 31.88 as in_shanghai,
           lat between 120.85 and 122.20 and lon between 30.66 and 31.88 as swapped
    from points
    where lon is not null and lat is not null
),
final as (
    select kind, sheet, row_no, 'lon', cast(lon as varchar),
           case when swapped then 'swapped_coordinates' else 'outside_shanghai' end,
           shown, 'error'
    from located
    where not in_shanghai
)
select * from final
