-- users: every user with status, for the admin page and the CLI. Never the password hash.
-- locked: some source must wait before trying this account again (login_throttle, keyed by a hash of the name).
with throttle as (
    select account, max(blocked_until) as blocked_until
    from login_throttle
    where blocked_until > $now
    group by account
),
base as (
    select u.* exclude (password_hash, locked_until), u.password_hash is not null as has_password,
        t.blocked_until as locked_until
    from users u
    left join throttle t on t.account = '#' || left(sha256(u.username), 16)
),
final as (
    select
        username,
        display_name,
        role,
        street,
        email,
        has_password,
        disabled,
        locked_until is not null and locked_until > $now as locked,
        cast(locked_until as timestamp) as locked_until,
        failed_attempts,
        cast(last_login_at as timestamp) as last_login_at,
        cast(created_at as timestamp) as created_at,
        created_by,
        cast(updated_at as timestamp) as updated_at
    from base
)
select * from final order by role, username
