-- A daily return or a request names a company that is neither in this upload nor stored.
with known as (
    select credit_code from stg_companies where credit_code is not null
    union
    select credit_code from companies
),
referencing as (
    select 'daily_returns' as kind, sheet, row_no, credit_code from stg_daily_returns
    union all
    select 'requests', sheet, row_no, credit_code from stg_requests
),
final as (
    select kind, sheet, row_no, 'credit_code', credit_code, 'unknown_company', null, 'error'
    from referencing
    where credit_code is not null and credit_code not in (select credit_code from known)
)
select * from final
