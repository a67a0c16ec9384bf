-- 在岗人数 + 居家办公人数 cannot exceed the company's 员工总数 (from this upload, else as stored).
with staff as (
    select credit_code, employees from stg_companies where credit_code is not null
    union all by name
    select credit_code, employees from companies
    where credit_code not in (select credit_code from stg_companies where credit_code is not null)
),
final as (
    select 'daily_returns', r.sheet, r.row_no, 'on_site',
           cast(r.on_site as varchar),
           'over_staffed',
           cast(r.on_site + coalesce(r.remote, 0) as varchar) || '，员工总数为' || cast(s.employees as varchar),
           'error'
    from stg_daily_returns r
    join staff s using (credit_code)
    where r.on_site + coalesce(r.remote, 0) > s.employees
)
select * from final
