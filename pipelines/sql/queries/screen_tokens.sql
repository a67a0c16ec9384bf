-- screen_tokens: every token ever made, live ones first. Never the token or its hash.
with final as (
    select
        token_id,
        name,
        street,
        revoked_at is null as live,
        cast(created_at as timestamp) as created_at,
        created_by,
        cast(revoked_at as timestamp) as revoked_at,
        revoked_by
    from screen_tokens
)
select * from final order by live desc, name, token_id desc
