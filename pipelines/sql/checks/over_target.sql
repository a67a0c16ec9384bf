-- 累计完成数 above 目标数 is a warning: the target may have grown, or a figure is mistyped.
with final as (
    select 'work_progress', sheet, row_no, 'done', cast(done as varchar), 'over_target',
           cast(target as varchar), 'warning'
    from stg_work_progress
    where target is not null and done > target
)
select * from final
