-- feed: the events the live feed shows — writes from the audit (uploads, rollbacks, grade overrides,
-- street outlines), new and closed requests, fever reports — newest first. `at` is when the event entered
-- the store, `day` the data's date. Grade changes come from feed_grades.sql.
with building_names as (
    select building_id, building_name, street from buildings
),
writes as (
    select
        a.done_at as recorded_at,
        cast(null as date) as day,
        case a.action
            when 'batch.commit' then 'upload'
            when 'batch.rollback' then 'rollback'
            when 'grade.override' then 'override'
            when 'grade.override.revoke' then 'override'
            when 'geo.street_outlines' then 'geo'
            when 'config.apply' then 'config'
            when 'config.save' then 'config'
            else 'other'
        end as kind,
        a.action,
        a.audit_id as seq,
        a.actor,
        a.target,
        b.building_id,
        b.building_name,
        b.street,
        a.before,
        a.after
    from audit a
    left join building_names b
      on a.action like 'grade.override%' and b.building_id = a.target
    where a.action in ('batch.commit', 'batch.rollback', 'grade.override', 'grade.override.revoke',
                       'geo.street_outlines', 'config.apply', 'config.save')
),
batch_times as (
    select batch_id, uploaded_at from batches where status = 'committed'
),
first_seen as (
    select r.request_id, min(r.batch_id) as batch_id
    from raw_requests r
    semi join batch_times t on t.batch_id = r.batch_id
    group by r.request_id
),
closed_seen as (
    select r.request_id, min(r.batch_id) as batch_id
    from raw_requests r
    semi join batch_times t on t.batch_id = r.batch_id
    where r.status = '已办结'
    group by r.request_id
),
new_requests as (
    select
        t.uploaded_at as recorded_at,
        q.request_date as day,
        'request' as kind,
        'request.new' as action,
        0 as seq,
        cast(null as varchar) as actor,
        q.request_id as target,
        q.building_id,
        q.building_name,
        q.street,
        cast(null as json) as before,
        json_object('company', q.company_name, 'category', q.category, 'content', q.content) as after
    from request_state q
    join first_seen f using (request_id)
    join batch_times t on t.batch_id = f.batch_id
),
closed_requests as (
    select
        t.uploaded_at as recorded_at,
        q.closed_on as day,
        'closed' as kind,
        'request.closed' as action,
        0 as seq,
        cast(null as varchar) as actor,
        q.request_id as target,
        q.building_id,
        q.building_name,
        q.street,
        cast(null as json) as before,
        json_object('company', q.company_name, 'category', q.category, 'content', q.content,
                    'days', q.closed_on - q.request_date) as after
    from request_state q
    join closed_seen c using (request_id)
    join batch_times t on t.batch_id = c.batch_id
    where q.closed_on is not null
),
fevers as (
    select
        max(t.uploaded_at) as recorded_at,
        r.report_date as day,
        'fever' as kind,
        'returns.fever' as action,
        0 as seq,
        cast(null as varchar) as actor,
        c.building_id as target,
        c.building_id,
        any_value(b.building_name) as building_name,
        any_value(b.street) as street,
        cast(null as json) as before,
        json_object('fever', sum(r.fever)) as after
    from daily_returns r
    join companies c using (credit_code)
    join building_names b on b.building_id = c.building_id
    join batch_times t on t.batch_id = r.batch_id
    where r.fever > 0
    group by r.report_date, c.building_id
),
final as (
    select * from writes
    union all by name select * from new_requests
    union all by name select * from closed_requests
    union all by name select * from fevers
)
select * from final
where ($street is null or street = $street or street is null)
  and ($kinds is null or list_contains($kinds, kind))
order by recorded_at desc, day desc nulls first, seq desc, target
limit $limit
