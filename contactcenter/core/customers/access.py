"""Who may read and change customer records through the agents' API.

- Every agent (agent, supervisor, admin; or their token) may look customers up and create one: an
  agent on the phone opens a ticket for a caller the desk does not know yet.
- Only supervisors and admins may change a customer: the e-mail and phone decide whom the bot
  tells a ticket's status and where a portal sign-in link goes, so changing them is not everyday work.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from contactcenter.core.errors import Forbidden
from contactcenter.core.staff.models import AgentProfile


def can_change_customers(agent: AgentProfile) -> bool:
    return agent.is_supervisor


def require_customer_editor(agent: AgentProfile) -> None:
    """Forbidden (``details.reason: not_a_supervisor``) unless ``agent`` may change customer records."""
    if not can_change_customers(agent):
        raise Forbidden(_("Only supervisors and admins may change a customer."), reason="not_a_supervisor")
