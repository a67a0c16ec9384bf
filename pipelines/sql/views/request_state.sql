-- request_state: each current request with its company, building and street, the day it was closed
-- (closed_on: 办结日期, or the request day when a closed request has none) and whether it is still open.
create or replace view request_state as
with located as (
    select
        q.request_id,
        q.request_date,
        q.credit_code,
        c.company_name,
        c.building_id,
        b.building_name,
        b.street,
        q.category,
        q.content,
        q.status,
        q.closed_date,
        case when q.status = '已办结' then coalesce(q.closed_date, q.request_date) end as closed_on
    from requests q
    left join companies c using (credit_code)
    left join buildings b using (building_id)
),
final as (
    select * from located
)
select * from final
