"""What quotes may import from portfolio: the import-linter contract in pyproject.toml stays complete."""

import pkgutil
import tomllib
from pathlib import Path

import portfolio

# The modules of portfolio that quotes uses; every other one is forbidden to it.
ALLOWED = {"choices", "market_data", "models", "selectors", "services"}


def test_the_contract_forbids_every_other_portfolio_module():
    pyproject = Path(portfolio.__file__).resolve().parents[1] / "pyproject.toml"
    contracts = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]["contracts"]
    contract = next(c for c in contracts if c["id"] == "quotes-uses-portfolio-public-modules")
    modules = {m.name for m in pkgutil.iter_modules(portfolio.__path__)}
    assert modules >= ALLOWED
    assert set(contract["forbidden_modules"]) == {f"portfolio.{m}" for m in modules - ALLOWED}
