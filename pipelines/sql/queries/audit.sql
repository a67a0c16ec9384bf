-- audit: the audit list, newest first, filtered by actor, actions and Shanghai dates (each filter null = any).
with base as (
    select
        audit_id,
        date_trunc('second', cast(done_at as timestamp)) as done_at,  -- seconds: enough to read, and exports
        actor,
        action,
        target,
        cast(before as varchar) as before,
        cast(after as varchar) as after
    from audit
),
final as (
    select * from base
    where ($actor is null or actor = $actor)
      and ($actions is null or list_contains($actions, action))
      and ($since is null or done_at >= cast($since as date))
      and ($until is null or done_at < cast($until as date) + interval 1 day)
)
select * from final order by audit_id desc limit $limit
