-- batch_list: every batch, newest first, with its times in Shanghai (naive timestamps) for the 数据上传 page.
with batches_local as (
    select
        batch_id,
        file_name,
        uploaded_by,
        timezone('Asia/Shanghai', uploaded_at) as uploaded_at,
        status,
        sheets,
        reverted_by,
        timezone('Asia/Shanghai', reverted_at) as reverted_at
    from batches
),
final as (
    select * from batches_local
)
select * from final order by batch_id desc
