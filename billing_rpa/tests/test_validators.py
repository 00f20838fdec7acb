import pytest
from django.core.exceptions import ValidationError

from billing_rpa.validators import (
    cnpj_is_valid,
    cpf_is_valid,
    format_cnpj,
    format_cpf,
    normalize_cnpj,
    normalize_cpf,
    parse_month,
)


@pytest.mark.parametrize("value", ["11.222.333/0001-81", "11222333000181", " 11222333000181 "])
def test_valid_cnpj(value):
    assert normalize_cnpj(value) == "11222333000181"


@pytest.mark.parametrize("value", ["11.222.333/0001-82", "11111111111111", "1122233300018", "", "abc", None])
def test_invalid_cnpj(value):
    assert not cnpj_is_valid(value)
    with pytest.raises(ValidationError):
        normalize_cnpj(value)


@pytest.mark.parametrize("value", ["529.982.247-25", "52998224725"])
def test_valid_cpf(value):
    assert normalize_cpf(value) == "52998224725"


@pytest.mark.parametrize("value", ["529.982.247-24", "00000000000", "123"])
def test_invalid_cpf(value):
    assert not cpf_is_valid(value)
    with pytest.raises(ValidationError):
        normalize_cpf(value)


def test_empty_cpf_is_allowed():
    assert normalize_cpf("") == ""


def test_formatting():
    assert format_cnpj("11222333000181") == "11.222.333/0001-81"
    assert format_cpf("52998224725") == "529.982.247-25"


@pytest.mark.parametrize("value", ["03/2025", "12/2030", "01/2000"])
def test_valid_month(value):
    assert parse_month(value).day == 1


@pytest.mark.parametrize("value", ["13/2025", "00/2025", "3/2025", "2025-03", "03/25", "", "03/1999", None])
def test_invalid_month(value):
    with pytest.raises(ValidationError):
        parse_month(value)
