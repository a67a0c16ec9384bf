-- feed_epidemic: 实时播报 items from the 防疫专项 sheets — new confirmed cases of a scope (疫情发展), the day's
-- progress of a street's work items (工作进度) and key points added (重要点位, one item per batch and street). `recorded_at` is when the
-- batch that brought the row was committed; a scope other than a street is seen by every street.
with batch_times as (
    select batch_id, uploaded_at from batches where status = 'committed'
),
cases as (
    select
        t.uploaded_at as recorded_at,
        e.report_date as day,
        'epidemic' as kind,
        'epidemic.new' as action,
        0 as seq,
        cast(null as varchar) as actor,
        e.scope as target,
        cast(null as varchar) as building_id,
        cast(null as varchar) as building_name,
        case when e.scope_rank = 4 then e.scope end as street,
        cast(null as json) as before,
        json_object('scope', e.scope, 'new', e.confirmed_new, 'confirmed', e.confirmed) as after
    from epidemic_daily e
    join batch_times t using (batch_id)
    where e.confirmed_new > 0
),
progress as (
    select
        max(t.uploaded_at) as recorded_at,
        w.report_date as day,
        'progress' as kind,
        'work.progress' as action,
        0 as seq,
        cast(null as varchar) as actor,
        w.street as target,
        cast(null as varchar) as building_id,
        cast(null as varchar) as building_name,
        w.street,
        cast(null as json) as before,
        json_object('items', list(json_object('item', w.work_item, 'new', w.done_new, 'unit', w.unit,
                                              'completion', w.completion) order by w.work_item)) as after
    from work_progress_daily w
    join batch_times t using (batch_id)
    where w.done_new > 0
    group by w.report_date, w.street
),
first_seen as (
    select r.point_id, min(r.batch_id) as batch_id
    from raw_key_points r
    semi join batch_times t on t.batch_id = r.batch_id
    group by r.point_id
),
points as (
    select
        t.uploaded_at as recorded_at,
        cast(null as date) as day,
        'point' as kind,
        'point.new' as action,
        0 as seq,
        cast(null as varchar) as actor,
        p.street as target,
        cast(null as varchar) as building_id,
        cast(null as varchar) as building_name,
        p.street,
        cast(null as json) as before,
        json_object('points', list(json_object('name', p.point_name, 'type', p.point_type) order by p.point_id))
            as after
    from key_points p
    join first_seen f using (point_id)
    join batch_times t on t.batch_id = f.batch_id
    group by t.uploaded_at, f.batch_id, p.street
),
final as (
    select * from cases
    union all by name select * from progress
    union all by name select * from points
)
select * from final
where ($street is null or street = $street or street is null)
  and ($kinds is null or list_contains($kinds, kind))
order by recorded_at desc, day desc nulls first, seq desc, target
limit $limit
