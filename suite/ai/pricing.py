"""What a call costs: the price book down the tenant tree, and the spend a call adds to budgets.

A tenant pays the prices set by the tenants above it (the nearest line wins): a province sells
to its cities at its price, a city to its enterprises at its own. A call's cost goes into the
amounts the quota layer reserves and settles, as the `spend` unit in micro-yuan, so a budget (a
quota in that unit) is enforced by the same atomic reserve as every other quota, on the tenant
and every ancestor. Before the call the estimate is priced at the dearest model that may serve
it (a fallback may be dearer than the first choice); after it, the actual use at the price of
the model that answered.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from suite.tenancy.models import Tenant

from .capabilities import MICRO_YUAN, Capability, PriceUnit, Unit
from .config_cache import memoize
from .models import Price
from .registry import ancestor_ids


@dataclass(frozen=True)
class PriceRule:
    unit: str
    yuan: Decimal
    per: int
    tenant_id: int

    def micro_yuan(self, amount: float) -> Decimal:
        return Decimal(str(amount)) * self.yuan * MICRO_YUAN / self.per


def sellers(tenant: Tenant) -> list[int]:
    """Whose price lines price this tenant's calls, nearest first: its ancestors' (a tenant
    sells to the tenants below it and cannot price its own calls), or, for a tenant at the top
    of the tree, which nobody sells to, its own."""
    chain = ancestor_ids(tenant)
    return chain[1:] or chain


def prices_for(tenant: Tenant, capability: str, model: str) -> dict[str, PriceRule]:
    """Per unit, the price the tenant pays for `model`: the nearest seller's line wins, and at
    one seller the line naming the model beats the line for every model."""

    def compute() -> dict[str, PriceRule]:
        chain = sellers(tenant)
        order = {pk: n for n, pk in enumerate(chain)}
        lines = Price.objects.filter(
            tenant_id__in=chain, capability=capability, model__in=[model, ""]
        )
        best: dict[str, tuple[tuple[int, int], Price]] = {}
        for line in lines:
            rank = (order[line.tenant_id], 0 if line.model else 1)
            if line.unit not in best or rank < best[line.unit][0]:
                best[line.unit] = (rank, line)
        return {
            unit: PriceRule(unit, line.yuan, line.per, line.tenant_id)
            for unit, (_rank, line) in best.items()
        }

    return memoize(("prices", tenant.pk, capability, model), compute)


def cost_micro_yuan(prices: Mapping[str, PriceRule], amounts: Mapping[str, float]) -> int:
    """Rounded up to the micro-yuan: a call never costs less than its price. Chat reports its
    input and output tokens apart as well as their sum: where the book prices them apart, the
    sum is not priced again, and where it prices only tokens, the parts are not."""
    split = PriceUnit.INPUT_TOKENS in prices or PriceUnit.OUTPUT_TOKENS in prices
    skip = {Unit.TOKENS} if split else {PriceUnit.INPUT_TOKENS, PriceUnit.OUTPUT_TOKENS}
    total = sum(
        (
            prices[unit].micro_yuan(n)
            for unit, n in amounts.items()
            if unit in prices and unit not in skip and unit != Unit.SPEND
        ),
        Decimal(0),
    )
    return math.ceil(total)


def with_spend(
    tenant: Tenant, capability: Capability | str, models: Iterable[str], amounts: Mapping
) -> dict:
    """`amounts` plus the spend they cost at the dearest of `models`; unchanged where no price
    applies (an unpriced call costs nothing and no budget counts it)."""
    costs = [
        cost_micro_yuan(prices_for(tenant, str(capability), model), amounts) for model in models
    ]
    spend = max(costs, default=0)
    result = {unit: n for unit, n in amounts.items() if unit != Unit.SPEND}
    if spend:
        result[Unit.SPEND] = spend
    return result


def yuan(micro_yuan: float) -> Decimal:
    return Decimal(int(micro_yuan)) / MICRO_YUAN


def micro_yuan(amount: Decimal | int | str) -> int:
    """Yuan as the spend unit counts them (whole micro-yuan)."""
    return int(Decimal(amount) * MICRO_YUAN)


def yuan_text(amount: Decimal) -> str:
    """¥ to the fen; below one fen to four places, so a few cheap calls do not read ¥0.00."""
    if 0 < abs(amount) < Decimal("0.01"):
        return f"¥{amount:.4f}"
    return f"¥{amount:,.2f}"
