-- batch_list: every batch, newest first, with its times in Shanghai (naive timestamps) for the 数据上传 page.
with batches_local as (
    select
        batch_id,
        file_name,
        uploaded_by,
        cast(uploaded_at as timestamp) as uploaded_at,
        status,
        sheets,
        reverted_by,
        cast(reverted_at as timestamp) as reverted_at,
        streets
    from batches
),
final as (
    select * from batches_local
)
select * from final order by batch_id desc
