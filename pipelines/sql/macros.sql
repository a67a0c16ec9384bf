-- Cell parsers shared by the staging views. Cells arrive as NFKC-folded, trimmed text (or null).

-- Notations offices type (issue 12). Each parser returns null when the cell cannot be read; the *_plain
-- macros say whether a cell was already in the canonical notation, so that a value read from any other
-- notation is shown to the analyst (已按…理解). Plain cells take a fast path: the daily reports are nearly
-- all plain integers.

-- Numbers ------------------------------------------------------------------------------------------------
-- Canonical: what Excel writes for a number cell (12, 12.5, -3, 1.5e-05).
create or replace macro num_plain(s) as regexp_full_match(s, '[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?');

-- A unit after the number (50人, 52,000 m2 from ㎡, 3 层, 12项, 90分) is dropped.
create or replace macro num_unit(s) as
    regexp_replace(s, '\s*(人|名|个|家|户|层|项|分|元|平方米|平米|平方|m2|m\^2|M2)$', '');

-- Digits with thousands separators (1,200 / 1 200 / 52,000.5); a comma that does not separate thousands
-- (1,2 or 12,34) is no number. NaN and inf never match; only finite values are returned.
create or replace macro num_digits(t) as list_filter([case
        when regexp_full_match(t, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?') then try_cast(t as double)
        when regexp_full_match(t, '[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?') then try_cast(replace(t, ',', '') as double)
        when regexp_full_match(t, '[+-]?[0-9]{1,3}( [0-9]{3})+(\.[0-9]+)?') then try_cast(replace(t, ' ', '') as double)
    end], lambda v: isfinite(v))[1];

-- 3.5万 = 35,000.
create or replace macro num_wan(t) as
    case when ends_with(t, '万') then round(num_digits(rtrim(rtrim(t, '万'))) * 10000, 6) else num_digits(t) end;

create or replace macro to_num(s) as
    case when num_plain(s) then list_filter([try_cast(s as double)], lambda v: isfinite(v))[1]
         else num_wan(num_unit(s)) end;

-- A whole number, also when Excel stored it as text or as 12.0; null when it is not one.
-- Plain digits (nearly every cell of a daily report) are cast directly.
create or replace macro to_int(s) as
    case when regexp_full_match(s, '[+-]?[0-9]{1,9}') then cast(s as integer)
         else list_transform([to_num(s)], lambda v: case when v = floor(v) and abs(v) < 2e9 then cast(v as integer) end)[1]
    end;

-- Dates without a year ----------------------------------------------------------------------------------
-- 3月5日, 3月5号, 3.5, 3/5, 3-5: month and day only. The year comes from the caller (title row, the
-- sheet's other dates, the store's period); an impossible day (2月30日) is null.
create or replace macro md_date(s, y) as case
    when y is not null and regexp_full_match(s, '([0-9]{1,2})(月|\.|/|-)([0-9]{1,2})(日|号)?')
    then try(make_date(cast(y as bigint),
                       cast(regexp_extract(s, '^([0-9]{1,2})', 1) as bigint),
                       cast(regexp_extract(s, '([0-9]{1,2})(日|号)?$', 1) as bigint)))
end;

create or replace macro md_like(s) as regexp_full_match(s, '([0-9]{1,2})(月|\.|/|-)([0-9]{1,2})(日|号)?');

-- A date cell is shown as understood unless it carried its own year (2020-03-05, 2020年3月5日, 20200305).
create or replace macro date_plain(s) as regexp_matches(s, '(^|[^0-9])(19|20)[0-9]{2}') and not regexp_full_match(s, '[1-9][0-9]{4}(\.0+)?');

-- Yes / no ----------------------------------------------------------------------------------------------
create or replace macro to_yes_no(s) as
    case when upper(s) in ('是', 'Y', 'YES', '1', '√', '✓', '✔', 'TRUE', '有', '对', 'T') then '是'
         when upper(s) in ('否', 'N', 'NO', '0', '×', '✗', '✘', 'X', 'FALSE', '无', '没有', 'F') then '否' end;

-- Floors ------------------------------------------------------------------------------------------------
-- 一 .. 九十九 in Chinese numerals.
create or replace macro cn_digit(c) as nullif(instr('一二三四五六七八九', c), 0);
create or replace macro cn_number(t) as case
    when regexp_full_match(t, '[一二三四五六七八九]') then cn_digit(t)
    when t = '十' then 10
    when regexp_full_match(t, '十[一二三四五六七八九]') then 10 + cn_digit(substr(t, 2, 1))
    when regexp_full_match(t, '[一二三四五六七八九]十') then 10 * cn_digit(substr(t, 1, 1))
    when regexp_full_match(t, '[一二三四五六七八九]十[一二三四五六七八九]')
        then 10 * cn_digit(substr(t, 1, 1)) + cn_digit(substr(t, 3, 1))
end;

-- The floor number a 楼层 cell names: 18, 18F, F18, 18楼, 18层, 第18层, 十八层, B1, 地下1层, 负一层, -1,
-- 3-4F (the first), 裙楼2F, 1801室 (18). Basements are negative. Null when no floor can be read.
create or replace macro floor_text_key(s) as upper(regexp_replace(s, '\s+', '', 'g'));
create or replace macro floor_of(t) as coalesce(
    case when regexp_full_match(t, '-?[0-9]+(\.0+)?') then try_cast(cast(t as double) as integer) end,
    case when regexp_full_match(t, '第?[0-9]+(F|L|楼|层)?') then try_cast(regexp_extract(t, '([0-9]+)', 1) as integer) end,
    case when regexp_full_match(t, '(F|L)[0-9]+') then try_cast(substr(t, 2) as integer) end,
    case when regexp_full_match(t, '(B|-|负|地下|地下室)[0-9]+(F|L|楼|层)?')
         then -try_cast(regexp_extract(t, '([0-9]+)', 1) as integer) end,
    case when regexp_full_match(t, '(负|地下)?第?[一二三四五六七八九十]+(楼|层)')
         then (case when regexp_matches(t, '^(负|地下)') then -1 else 1 end)
              * cn_number(regexp_extract(t, '([一二三四五六七八九十]+)(楼|层)', 1)) end,
    -- a range: the first floor of it (B2-1F is -2)
    case when regexp_full_match(t, '(B|-)?[0-9]+(F|L|楼|层)?(-|~|至|到|、|,|/)(B|-)?[0-9]+(F|L|楼|层)?')
         then (case when regexp_matches(t, '^(B|-)') then -1 else 1 end)
              * try_cast(regexp_extract(t, '^(B|-)?([0-9]+)', 2) as integer) end,
    -- a room number: 1801室 is on floor 18
    case when regexp_full_match(t, '[0-9]{3,5}(室|单元|号|房)') then try_cast(regexp_extract(t, '^([0-9]+)', 1) as integer) // 100 end,
    -- text around a floor: 裙楼2F, 主楼18层, A座5F
    case when regexp_matches(t, '(B|地下)[0-9]+(F|L|楼|层)?') then -try_cast(regexp_extract(t, '(B|地下)([0-9]+)', 2) as integer) end,
    case when regexp_matches(t, '[0-9]+(F|L|层)') then try_cast(regexp_extract(t, '([0-9]+)(F|L|层)', 1) as integer) end
);
create or replace macro to_floor(s) as floor_of(floor_text_key(s));
create or replace macro floor_plain(s) as regexp_full_match(s, '-?[0-9]+(\.0+)?');

-- Phones ------------------------------------------------------------------------------------------------
-- 138 0000 0000, 138-0000-0000, +86 13800000000, (021)62345678, 021-6234 5678 转 123 -> 13800000000,
-- 021-62345678, 021-62345678转123. Null when it is not one phone number (two numbers, letters).
create or replace macro phone_ext(s) as regexp_extract(upper(s), '(转|分机|EXT\.?|#)\s*([0-9]{1,6})$', 2);
create or replace macro phone_digits(s) as regexp_replace(
    regexp_replace(regexp_replace(upper(s), '(转|分机|EXT\.?|#)\s*([0-9]{1,6})$', ''), '[\s\-()\.]', '', 'g'),
    '^(\+86|0086)', '');
create or replace macro phone_main(s) as
    case when regexp_full_match(phone_digits(s), '861[3-9][0-9]{9}') then substr(phone_digits(s), 3)
         else phone_digits(s) end;
create or replace macro phone_fmt(m) as case
    when regexp_full_match(m, '1[3-9][0-9]{9}') then m
    when regexp_full_match(m, '0[12][0-9][0-9]{7,8}') then substr(m, 1, 3) || '-' || substr(m, 4)
    when regexp_full_match(m, '0[3-9][0-9]{2}[0-9]{7,8}') then substr(m, 1, 4) || '-' || substr(m, 5)
    when regexp_full_match(m, '[2-9][0-9]{7}') then m
end;
create or replace macro to_phone(s) as
    phone_fmt(phone_main(s)) || case when phone_ext(s) <> '' then '转' || phone_ext(s) else '' end;

-- Credit codes: case, spaces and dashes do not matter (full-width characters are folded before).
create or replace macro to_credit(s) as upper(regexp_replace(s, '[\s\-]', '', 'g'));

-- Names compared across batches: 楼宇名称 without spaces, NFKC-folded upstream.
create or replace macro name_key(s) as lower(regexp_replace(s, '[\s·•\.()（）]', '', 'g'));

-- Dates as analysts type them (2020/2/17, 2020-02-17, 2020年2月17日, 20200217, 2020.2.17)
-- or as Excel serial numbers (43878 = 2020-02-17). The first format that parses wins. The two shapes
-- nearly every cell has (2020-02-17, and 2020-02-17 00:00:00 from an Excel date cell) go straight to
-- their format: no other format can parse them, and a failed attempt costs more than the parse.
create or replace macro to_date(s) as coalesce(
    cast(case
        when regexp_full_match(s, '[0-9]{4}-[0-9]{2}-[0-9]{2}') then try_strptime(s, '%Y-%m-%d')
        when regexp_full_match(s, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}')
            then try_strptime(s, '%Y-%m-%d %H:%M:%S')
        else coalesce(try_strptime(s, '%Y-%m-%d'), try_strptime(s, '%Y/%m/%d'), try_strptime(s, '%Y年%m月%d日'),
                      try_strptime(s, '%Y%m%d'), try_strptime(s, '%Y.%m.%d'), try_strptime(s, '%Y-%m-%d %H:%M:%S'),
                      try_strptime(s, '%Y/%m/%d %H:%M:%S'))
    end as date),
    case when regexp_full_match(s, '[1-9][0-9]{4}(\.0+)?') and to_num(s) between 20000 and 80000
         then date '1899-12-30' + cast(to_num(s) as integer) end
);

-- GB 32100-2015 check character of a 统一社会信用代码.
create or replace macro credit_code_ok(c) as
    length(c) = 18
    and regexp_full_match(c, '[0-9A-HJ-NPQRTUWXY]{18}')
    and substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
               cast((31 - list_sum(list_transform(range(1, 18), lambda i:
                    (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, i, 1)) - 1)
                    * [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28][i])) % 31) % 31 + 1 as bigint), 1)
        = substr(c, 18, 1);

-- Piecewise-linear curve through (xs[i], ys[i]); xs strictly increasing; flat beyond the ends.
create or replace macro piecewise(x, xs, ys) as
    case
        when x is null then null
        when x <= xs[1] then ys[1]
        when x >= xs[len(xs)] then ys[len(ys)]
        else ys[len(list_filter(xs, lambda v: v <= x))]
             + (ys[len(list_filter(xs, lambda v: v <= x)) + 1] - ys[len(list_filter(xs, lambda v: v <= x))])
             * (x - xs[len(list_filter(xs, lambda v: v <= x))])
             / (xs[len(list_filter(xs, lambda v: v <= x)) + 1] - xs[len(list_filter(xs, lambda v: v <= x))])
    end;

-- 低 < 中 < 高; null ranks lowest.
create or replace macro grade_rank(g) as case g when '高' then 3 when '中' then 2 when '低' then 1 else 0 end;

-- A reporting day counts as complete (the as-of day; no partial-day warning) when at least half of the
-- directory's companies reported it. Directories under 20 companies (hand-made examples) are too small for a
-- share to mean anything: every reported day counts. views/as_of_day.sql and checks/partial_day.sql use it.
create or replace macro day_complete(reported, directory) as reported >= 0.5 * directory or directory < 20;
