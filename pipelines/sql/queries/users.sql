-- users: every user with status, for the admin page and the CLI. Never the password hash.
with base as (
    select * exclude (password_hash), password_hash is not null as has_password
    from users
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
