"""What every generator of one run shares: the seed, the calendar, profiles and staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from portfolio.seed.lifecycle import StageStep, stage_path
from portfolio.seed.profiles import AccountProfile, csm_count_for, profile_build
from portfolio.seed.rng import Calendar
from portfolio.seed.users import DemoStaff


@dataclass
class SeedContext:
    seed: int
    cal: Calendar
    staff: DemoStaff
    profiles: list[AccountProfile] = field(default_factory=list)
    stages: list[list[StageStep]] = field(default_factory=list)
    first_contact_ids: list[int] = field(default_factory=list)

    @classmethod
    def build(cls, *, seed: int, today: date, accounts: int, staff: DemoStaff) -> SeedContext:
        cal = Calendar(today)
        ctx = cls(seed=seed, cal=cal, staff=staff)
        csm_count = len(staff.csm_ids)
        next_contact = 1
        for number in range(1, accounts + 1):
            p = profile_build(seed=seed, number=number, cal=cal, csm_count=csm_count)
            ctx.profiles.append(p)
            ctx.stages.append(stage_path(p, cal, seed))
            ctx.first_contact_ids.append(next_contact)
            next_contact += p.contacts
        return ctx

    @staticmethod
    def csm_count(accounts: int) -> int:
        return csm_count_for(accounts)

    def owner_id(self, p: AccountProfile) -> int:
        return self.staff.csm_ids[p.owner_index]

    def contact_ids(self, p: AccountProfile) -> range:
        first = self.first_contact_ids[p.number - 1]
        return range(first, first + p.contacts)

    def stage_of(self, p: AccountProfile) -> str:
        return self.stages[p.number - 1][-1].to_stage

    def data_from(self, p: AccountProfile) -> date:
        """First day of the usage window this account produced data on."""
        return max(self.cal.first_day, p.usage_start)

    def data_until(self, p: AccountProfile) -> date:
        """Last day with data: the day before churn, or yesterday."""
        if p.churned_on is not None:
            return min(self.cal.last_day, p.churned_on - timedelta(days=1))
        return self.cal.last_day

    def engaged_until(self, p: AccountProfile) -> date:
        """Last day people at the account still talked to us (a quiet account stopped)."""
        end = self.data_until(p)
        return min(end, p.quiet_from) if p.quiet_from is not None else end
