-- building_checks: the inspection history of $building_id, newest first: items passed per area and the pass rate
-- over $check_items_total (contract.CHECK_ITEMS_TOTAL: the checklist's items).
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
        (area_closed + area_registration + area_plan + area_disinfection + area_mobilisation + area_service) / $check_items_total
            as pass_rate,
        duty_score,
        issues_found,
        inspector
    from history
)
select * from final order by check_date desc
