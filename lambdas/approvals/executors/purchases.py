"""Commitments bought: a Savings Plan, or EC2 Reserved Instances.

Neither has an undo: a Savings Plan can be returned only within 7 days of purchase and within
AWS's limits, a Reserved Instance not at all (only sold on the RI Marketplace); the proposal's
revert text says so. The approvals rules check before claiming that purchases are enabled and
that the commitment is within the monthly cap; these executors only buy, at most once:
Savings Plans through `clientToken` = the proposal ID, Reserved Instances through the claim
(RI purchases take no client token) and a `LimitPrice` that caps what AWS may charge upfront.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from change_control.changes import Change
from change_control.proposals import Proposal
from change_control.resources import SAVINGS_PLANS_REGION

from approvals.executors.base import Clients, act, default_clients, dry_run_then_act


@dataclass(frozen=True)
class PurchaseSavingsPlan:
    """CreateSavingsPlan for the offering the proposal names (its resource ID)."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        params = proposal.parameters
        hourly = str(Decimal(str(params["commitment_per_hour"])))
        upfront = Decimal(str(params.get("upfront_payment") or "0"))
        request: dict[str, Any] = {
            "savingsPlanOfferingId": proposal.resource.id,
            "commitment": hourly,
            "clientToken": proposal.proposal_id,  # a retry cannot buy a second plan
        }
        if upfront > 0:
            request["upfrontPaymentAmount"] = str(upfront)
        answer = act(
            self.clients("savingsplans", SAVINGS_PLANS_REGION).create_savings_plan,
            request,
            f"Savings Plans CreateSavingsPlan {proposal.resource.id}",
        )
        return Change(
            before={"Offering": proposal.resource.id, **dict(before)},
            after={
                "SavingsPlanId": answer.get("savingsPlanId", ""),
                "CommitmentPerHour": hourly,
                "UpfrontPayment": str(upfront),
            },
        )


@dataclass(frozen=True)
class PurchaseReservedInstances:
    """PurchaseReservedInstancesOffering, dry-run first. The offering's prices are in the
    fingerprint, checked before; LimitPrice caps the upfront price when there is one."""

    clients: Clients = default_clients

    def run(self, proposal: Proposal, before: Mapping[str, Any]) -> Change:
        resource, params = proposal.resource, proposal.parameters
        ec2 = self.clients("ec2", resource.region)
        limit = Decimal(str(params["limit_price_usd"]))
        request: dict[str, Any] = {
            "ReservedInstancesOfferingId": resource.id,
            "InstanceCount": int(params["instance_count"]),
        }
        if limit > 0:  # No Upfront has nothing to cap; the fingerprint holds its prices
            request["LimitPrice"] = {"Amount": float(limit), "CurrencyCode": "USD"}
        what = f"EC2 PurchaseReservedInstancesOffering {resource.id}"
        answer = dry_run_then_act(ec2.purchase_reserved_instances_offering, request, what)
        return Change(
            before={"Offering": resource.id, **dict(before)},
            after={
                "ReservedInstancesId": answer.get("ReservedInstancesId", ""),
                "InstanceCount": request["InstanceCount"],
                "LimitPriceUsd": str(limit),
            },
        )
