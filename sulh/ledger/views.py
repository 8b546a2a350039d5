"""Console pages of the ledger: the checkpoints and who witnessed them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sulh.core.errors import Conflict

from . import keys, services


@login_required
def overview(request):
    try:
        policy = services.policy_text()
    except Conflict as exc:
        policy, policy_missing = None, exc.message
    else:
        policy_missing = None
    context = {
        "size": services.tree_size(),
        "latest": services.latest_checkpoint(),
        "witnessed": services.latest_checkpoint(witnessed=True),
        "witnesses": services.latest_witnessed_by_org(),
        "origin": services.origin(),
        "log_key": keys.log_verifier_key(),
        "policy": policy,
        "policy_missing": policy_missing,
        "recent": services.entries(max(0, services.tree_size() - 20), services.tree_size())[::-1],
    }
    return render(request, "ledger/overview.html", context)
