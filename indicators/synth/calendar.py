"""Calendar of the synthetic world: days, working days and the rhythms of hotline traffic.

Working days are Monday to Friday minus the national public holidays listed below (the State
Council's annual arrangements for 2019-2025). The make-up working weekends (调休) are not
modelled, and years outside the table have weekends only. The 12345 deadlines are counted in
these working days.
"""
from __future__ import annotations

import numpy as np

#: National public holidays (inclusive ranges; weekend days inside a range change nothing).
HOLIDAYS: dict[int, tuple[tuple[str, str], ...]] = {
    2019: (("2019-01-01", "2019-01-01"), ("2019-02-04", "2019-02-10"), ("2019-04-05", "2019-04-07"),
           ("2019-05-01", "2019-05-04"), ("2019-06-07", "2019-06-09"), ("2019-09-13", "2019-09-15"),
           ("2019-10-01", "2019-10-07")),
    2020: (("2020-01-01", "2020-01-01"), ("2020-01-24", "2020-02-02"), ("2020-04-04", "2020-04-06"),
           ("2020-05-01", "2020-05-05"), ("2020-06-25", "2020-06-27"), ("2020-10-01", "2020-10-08")),
    2021: (("2021-01-01", "2021-01-03"), ("2021-02-11", "2021-02-17"), ("2021-04-03", "2021-04-05"),
           ("2021-05-01", "2021-05-05"), ("2021-06-12", "2021-06-14"), ("2021-09-19", "2021-09-21"),
           ("2021-10-01", "2021-10-07")),
    2022: (("2022-01-01", "2022-01-03"), ("2022-01-31", "2022-02-06"), ("2022-04-03", "2022-04-05"),
           ("2022-04-30", "2022-05-04"), ("2022-06-03", "2022-06-05"), ("2022-09-10", "2022-09-12"),
           ("2022-10-01", "2022-10-07")),
    2023: (("2022-12-31", "2023-01-02"), ("2023-01-21", "2023-01-27"), ("2023-04-05", "2023-04-05"),
           ("2023-04-29", "2023-05-03"), ("2023-06-22", "2023-06-24"), ("2023-09-29", "2023-10-06")),
    2024: (("2024-01-01", "2024-01-01"), ("2024-02-10", "2024-02-17"), ("2024-04-04", "2024-04-06"),
           ("2024-05-01", "2024-05-05"), ("2024-06-10", "2024-06-10"), ("2024-09-15", "2024-09-17"),
           ("2024-10-01", "2024-10-07")),
    2025: (("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"), ("2025-04-04", "2025-04-06"),
           ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"), ("2025-10-01", "2025-10-08")),
}

#: Relative ticket volume by weekday (Monday first) and on public holidays.
WEEKDAY_WEIGHT = np.array([1.18, 1.12, 1.08, 1.06, 1.02, 0.78, 0.74])
HOLIDAY_WEIGHT = 0.70
#: Relative ticket volume per day by month: high before the Spring Festival (wage arrears) and in
#: the summer (heat, typhoons, school places), low in the Spring Festival and National Day months.
MONTH_WEIGHT = np.array([1.10, 0.80, 1.00, 0.98, 1.00, 1.05, 1.12, 1.12, 1.00, 0.88, 0.98, 1.05])
#: Share of tickets by hour of the day (the hotline is staffed 7x24).
HOUR_WEIGHT = np.array([0.4, 0.25, 0.15, 0.1, 0.1, 0.2, 0.6, 1.6, 3.6, 5.2, 5.6, 5.0,
                        3.6, 3.8, 5.0, 5.4, 5.2, 4.6, 3.0, 2.6, 2.4, 2.0, 1.4, 0.8])
HOUR_WEIGHT = HOUR_WEIGHT / HOUR_WEIGHT.sum()

EPOCH = np.datetime64("1970-01-01", "D")


def holidays(first: int, last: int) -> np.ndarray:
    """Holiday dates (datetime64[D]) of the years first..last+1 that the table knows."""
    days: list[np.datetime64] = []
    for year in range(first, last + 2):
        for a, b in HOLIDAYS.get(year, ()):
            days.extend(np.arange(np.datetime64(a), np.datetime64(b) + 1))
    return np.unique(np.array(days, dtype="datetime64[D]"))


class Calendar:
    """The days of the years first..last with their weights and working-day deadlines."""

    def __init__(self, first: int, last: int):
        self.first, self.last = first, last
        self.start = np.datetime64(f"{first}-01-01")
        self.end = np.datetime64(f"{last}-12-31")
        self.days = np.arange(self.start, self.end + 1)  # datetime64[D]
        self.day_int = (self.days - EPOCH).astype(np.int64)  # days since 1970-01-01
        self.holidays = holidays(first, last)
        self.is_holiday = np.isin(self.days, self.holidays)
        weekday = (self.day_int + 3) % 7  # 1970-01-01 was a Thursday
        ymd = self.days.astype(object)
        self.month_index = np.array([(d.year - first) * 12 + d.month - 1 for d in ymd], dtype=np.int64)
        weight = WEEKDAY_WEIGHT[weekday] * MONTH_WEIGHT[self.month_index % 12]
        weight = np.where(self.is_holiday, weight * HOLIDAY_WEIGHT / WEEKDAY_WEIGHT[weekday], weight)
        self.weight = weight
        self.cum_weight = np.cumsum(weight)
        n_months = (last - first + 1) * 12
        self.month_start = np.searchsorted(self.month_index, np.arange(n_months), side="left")
        self.month_end = np.searchsorted(self.month_index, np.arange(n_months), side="right")
        #: total day weight per month: the seasonal rhythm of the complaint volumes
        self.month_weight = np.add.reduceat(weight, self.month_start)
        self._before = np.concatenate([[0.0], self.cum_weight])[self.month_start]
        self._due: dict[int, np.ndarray] = {}

    def draw_days(self, month: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Day index (into `days`) for each month index, drawn by the day weights with uniforms u."""
        target = self._before[month] + u * self.month_weight[month]
        idx = np.searchsorted(self.cum_weight, target, side="right")
        return np.clip(idx, self.month_start[month], self.month_end[month] - 1)

    def due_day(self, n: int) -> np.ndarray:
        """For every day of the calendar: days since epoch of the n-th working day after it.

        A ticket received on a rest day counts from the next working day."""
        if n not in self._due:
            due = np.busday_offset(self.days, n, roll="forward", holidays=self.holidays)
            self._due[n] = (due - EPOCH).astype(np.int64)
        return self._due[n]

    def working_day(self, day: np.ndarray, year: np.ndarray) -> np.ndarray:
        """Move dates (datetime64[D]) to a working day within their year: forward, else backward."""
        fwd = np.busday_offset(day, 0, roll="forward", holidays=self.holidays)
        bwd = np.busday_offset(day, 0, roll="backward", holidays=self.holidays)
        year_end = (np.asarray(year, dtype=np.int64) + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - 1
        return np.where(fwd <= year_end, fwd, bwd)

