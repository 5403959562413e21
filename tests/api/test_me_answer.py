"""GET /api/v1/me's answer is built as a plain dict (api/schemas.me_answer), not dumped field by
field through MeSchema: for holders of every role, with and without an organisation, the two
are equal, and the endpoint answers it."""

import pytest

from equipment_share.api.schemas import MeSchema, me_answer
from equipment_share.models import OrganizationKind, Role
from equipment_share.services.tokens import OrganizationSummary, TokenHolder

ORGANIZATIONS = [
    None,
    OrganizationSummary(7, "吕梁华晟煤化科技有限公司", OrganizationKind.SME),
    OrganizationSummary(12, 'Platform "Ltd" <b>', OrganizationKind.PLATFORM),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("organization", ORGANIZATIONS)
def test_the_answer_is_what_the_schema_dumps(role, organization):
    holder = TokenHolder(42, "王工@lvliang.example", "王 工", role, organization=organization)
    assert me_answer(holder) == MeSchema().dump(holder)


def test_the_endpoint_answers_the_token_s_holder(client, make_user, api_headers):
    user = make_user("sme")
    answer = client.get("/api/v1/me", headers=api_headers(user)).get_json()
    assert answer["id"] == user.id and answer["role"] == "sme"
    assert answer["organization"]["id"] == user.organization_id
