-- api_tokens: every data-API token ever made, live ones first. Never the token or its hash.
with final as (
    select
        token_id,
        name,
        street,
        revoked_at is null and expires_at > $now as live,
        timezone('Asia/Shanghai', created_at) as created_at,
        created_by,
        timezone('Asia/Shanghai', expires_at) as expires_at,
        timezone('Asia/Shanghai', last_used_at) as last_used_at,
        timezone('Asia/Shanghai', revoked_at) as revoked_at,
        revoked_by
    from api_tokens
)
select * from final order by live desc, name, token_id desc
