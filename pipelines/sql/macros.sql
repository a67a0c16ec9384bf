-- Cell parsers shared by the staging views. Cells arrive as NFKC-folded, trimmed text (or null).
create or replace macro to_num(s) as try_cast(replace(s, ',', '') as double);

-- A whole number, also when Excel stored it as text or as 12.0; null when it is not one.
create or replace macro to_int(s) as
    case when to_num(s) = floor(to_num(s)) and abs(to_num(s)) < 2e9 then cast(to_num(s) as integer) end;

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

-- 是/否 with the usual variants.
create or replace macro to_yes_no(s) as
    case when s in ('是', 'Y', 'y', 'yes', 'Yes', 'YES', '1', '√', 'TRUE', 'true') then '是'
         when s in ('否', 'N', 'n', 'no', 'No', 'NO', '0', '×', 'FALSE', 'false') then '否' end;

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
