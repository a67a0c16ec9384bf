-- requests_open: open requests at the end of $as_of and of the day before, and the requests opened and
-- closed on each of those days, for one street or all ($street null).
with scope as (
    select * from request_state where $street is null or street = $street
),
days as (
    select unnest([cast($as_of as date), cast($as_of as date) - 1]) as day
),
counted as (
    select
        d.day,
        count(s.request_id) filter (where s.request_date <= d.day and (s.closed_on is null or s.closed_on > d.day))
            as open_requests,
        count(s.request_id) filter (where s.request_date = d.day) as new_requests,
        count(s.request_id) filter (where s.closed_on = d.day) as closed_requests
    from days d
    left join scope s on true
    group by d.day
),
final as (
    select * from counted
)
select * from final order by day desc
