-- building_checks: the inspection history of $building_id, newest first: items passed per area
-- (封闭管理 5, 排摸登记 4, 应对预案 3, 卫生消毒 4, 组织动员 3, 企业服务 3 = 22 items) and the pass rate.
with history as (
    select * from checks where building_id = $building_id
),
final as (
    select
        check_date,
        area_closed,
        area_registration,
        area_plan,
        area_disinfection,
        area_mobilisation,
        area_service,
        (area_closed + area_registration + area_plan + area_disinfection + area_mobilisation + area_service)
            as items_passed,
        (area_closed + area_registration + area_plan + area_disinfection + area_mobilisation + area_service) / 22
            as pass_rate,
        duty_score,
        issues_found,
        inspector
    from history
)
select * from final order by check_date desc
