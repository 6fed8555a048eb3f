"""shared.config: --set overrides are checked against field names and types."""

from dataclasses import dataclass, field
from typing import Literal

import pytest

from shared.cli import UserError
from shared.config import apply_overrides, config_to_dict


@dataclass(frozen=True)
class Example:
    epochs: int = field(default=3, metadata={"doc": "epochs"})
    rate: float = 0.5
    model: Literal["cnn", "mlp"] = "cnn"
    filters: tuple[int, ...] = (8, 16)
    augment: bool = True


def test_overrides_are_parsed_to_field_types():
    cfg = apply_overrides(Example(), ["epochs=7", "rate=0.25", "model=mlp", "filters=4,8,16", "augment=off"])
    assert cfg == Example(epochs=7, rate=0.25, model="mlp", filters=(4, 8, 16), augment=False)
    assert config_to_dict(cfg)["filters"] == [4, 8, 16]


@pytest.mark.parametrize(
    ("override", "message"),
    [("epoch=3", "unknown setting"), ("epochs=three", "type int"), ("model=rnn", "one of cnn, mlp"),
     ("augment=maybe", "true or false"), ("epochs", "field=value")],
)
def test_bad_overrides_are_refused(override, message):
    with pytest.raises(UserError, match=message):
        apply_overrides(Example(), [override])
