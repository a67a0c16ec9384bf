-- The batch list, newest first, with rows per sheet.
with final as (
    select
        batch_id,
        file_name,
        uploaded_by,
        uploaded_at,
        status,
        sheets,
        reverted_by,
        reverted_at,
        sha256
    from batches
)
select * from final order by batch_id desc
