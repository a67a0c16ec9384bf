-- requests_list: the 企业诉求清单 as of $as_of (requests made by then), for one street / building or all,
-- with the days each has been open (open ones) or took to close (closed ones).
with scope as (
    select *
    from request_state
    where request_date <= cast($as_of as date)
      and ($street is null or street = $street)
      and ($building_id is null or building_id = $building_id)
),
final as (
    select
        request_id,
        request_date,
        street,
        building_id,
        building_name,
        credit_code,
        company_name,
        category,
        content,
        case when closed_on is not null and closed_on <= cast($as_of as date) then '已办结'
             when status = '已办结' then '办理中'
             else status end as status,
        closed_on,
        case when closed_on is null or closed_on > cast($as_of as date)
             then cast($as_of as date) - request_date end as days_open,
        case when closed_on <= cast($as_of as date) then closed_on - request_date end as days_to_close
    from scope
)
select * from final
order by case status when '待办' then 0 when '办理中' then 1 else 2 end, days_open desc nulls last,
         request_date desc, request_id
