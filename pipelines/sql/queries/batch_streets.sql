-- batch_streets: the distinct streets the rows of one batch belong to, through the buildings they name (a company's
-- building for daily returns and requests); null for a row whose building is not known.
with building_street as (
    select building_id, street from buildings
),
company_street as (
    select c.credit_code, b.street
    from companies c
    left join building_street b using (building_id)
),
batch_rows as (
    select r.street from raw_buildings r where r.batch_id = $batch_id
    union all
    select b.street from raw_companies r left join building_street b using (building_id) where r.batch_id = $batch_id
    union all
    select b.street from raw_checks r left join building_street b using (building_id) where r.batch_id = $batch_id
    union all
    select c.street from raw_daily_returns r left join company_street c using (credit_code) where r.batch_id = $batch_id
    union all
    select c.street from raw_requests r left join company_street c using (credit_code) where r.batch_id = $batch_id
),
final as (
    select distinct street from batch_rows
)
select * from final order by street nulls last
