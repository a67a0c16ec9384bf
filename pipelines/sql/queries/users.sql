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
        timezone('Asia/Shanghai', locked_until) as locked_until,
        failed_attempts,
        timezone('Asia/Shanghai', last_login_at) as last_login_at,
        timezone('Asia/Shanghai', created_at) as created_at,
        created_by,
        timezone('Asia/Shanghai', updated_at) as updated_at
    from base
)
select * from final order by role, username
