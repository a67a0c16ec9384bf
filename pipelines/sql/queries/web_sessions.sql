-- web_sessions: live logins (not ended, not past their end, not idle too long), newest first, for the admin
-- page. Never the session id or its hash.
with live as (
    select *
    from web_sessions
    where revoked_at is null
      and expires_at > $now
      and last_seen_at > $now - to_minutes($idle_minutes::bigint)
),
final as (
    select
        s.session_id,
        s.username,
        u.display_name,
        s.via,
        timezone('Asia/Shanghai', s.created_at) as created_at,
        timezone('Asia/Shanghai', s.last_seen_at) as last_seen_at,
        timezone('Asia/Shanghai', s.expires_at) as expires_at,
        s.source_address,
        s.user_agent
    from live s
    left join users u using (username)
)
select * from final order by created_at desc, session_id desc
