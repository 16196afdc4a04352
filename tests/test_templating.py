"""The sandboxed renderer: escaping, errors with their line, unknown variables, SSTI payloads and
budgets (time, loops, size) that stop a template before it can hold a worker."""
import signal
import time
from contextlib import contextmanager
from decimal import Decimal

import pytest

from admin_app.services.template_vars import VARIABLES, build_context, sample_context
from admin_app.services.templating import TemplateProblem, Vars, check, render

GENEROUS_SECONDS = 20  # the test fails, instead of hanging, if a render ever runs this long
QUICK_SECONDS = 5  # what "returns quickly" means here (the budget is 1 s)


@contextmanager
def bounded(seconds: int = GENEROUS_SECONDS):
    """Interrupt the block after `seconds` (SIGALRM), so a hang fails the test."""
    def interrupt(_signum, _frame):
        raise TimeoutError(f"still rendering after {seconds} s")
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def context():
    return {"company": Vars("company", {"name": "Tom & <Jerry>", "city": "Madrid"}),
            "contact": Vars("contact", {"first_name": "Ann", "last_name": "Lee"})}


def problem_of(source, context, html=True) -> TemplateProblem:
    started = time.monotonic()
    with bounded(), pytest.raises(TemplateProblem) as caught:
        render(source, context, html=html)
    assert time.monotonic() - started < QUICK_SECONDS, source
    return caught.value


def test_html_is_escaped_and_text_is_not(context):
    source = "<p>Hello {{ contact.first_name }} of {{ company.name }}</p>"
    assert render(source, context, html=True) == "<p>Hello Ann of Tom &amp; &lt;Jerry&gt;</p>"
    assert render("{{ company.name }}", context) == "Tom & <Jerry>"


def test_loops_conditions_and_filters_work(context):
    source = ("{% for i in range(3) %}{{ loop.index }}{% if not loop.last %},{% endif %}"
              "{% endfor %} {{ company.city|upper }} {{ 1234.5|money('EUR') }}"
              " {{ ['a', 'b']|join('+') }} {{ company.name|replace('&', 'and') }}")
    assert render(source, context) == "1,2,3 MADRID 1,234.50 EUR a+b Tom and <Jerry>"


def test_a_syntax_error_names_its_line(context):
    problem = problem_of("Hello\n\nDear {{ contact.first_name }!\nBye", context)
    assert problem.line == 3
    assert str(problem).startswith("Line 3:")
    assert problem_of("Hello\n{% if company.name %}\nno end", context).line == 2
    with pytest.raises(TemplateProblem) as caught:
        check("Dear {{ contact.first_name }\n", {"contact"})
    assert caught.value.line == 1


def test_an_unknown_variable_is_an_error_not_an_empty_string(context):
    problem = problem_of("Hi\n{{ contact.nickname }}", context)
    assert problem.line == 2 and "contact has no variable 'nickname'" in str(problem)
    assert "unknown variable 'invoice'" in str(problem_of("{{ invoice.number }}", context))
    with pytest.raises(TemplateProblem) as caught:
        check("Hello\n{{ invoice.number }}", {"company", "contact"})
    assert caught.value.line == 2 and "invoice" in str(caught.value)


SSTI = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ self }}",
    "{{ self._TemplateReference__context }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ request }}",
    "{{ request.application.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ company.__class__ }}",
    "{{ company.update(name='x') }}",
    "{{ company|attr('__class__') }}",
    "{{ range.__globals__ }}",
    "{{ 'x'.format.__globals__ }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% autoescape false %}{{ company.name }}{% endautoescape %}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ '%s' % company }}",
]


@pytest.mark.parametrize("payload", SSTI)
def test_ssti_payloads_render_nothing(payload, context):
    problem = problem_of(payload, context)
    for leak in ("<class", "<function", "<module", "builtins", "Environment", "uid="):
        assert leak not in str(problem), payload
    with pytest.raises(TemplateProblem):
        check(payload, {"company", "contact"})  # refused on save already, or on the example
        render(payload, sample_context(["company", "contact"]))


HUGE = [
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "{% for i in range(20000) %}{% for j in range(20000) %}x{% endfor %}{% endfor %}",
    "{% set s = 'abcdefghij' * 100 %}{% for a in s %}{% for b in s %}{% for c in s %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ [0] * 10**9 }}",
    "{{ 9**(9**9) }}",
    "{% set a = 'xx' %}" + "{% set a = a ~ a %}" * 40 + "{{ a|length }}",
    "{% set a = 'xx' %}" + "{% set a = a + a %}" * 40 + "{{ a|length }}",
    "{% set a = [1] %}" + "{% set a = [a, a] %}" * 40 + "{{ a|length }}{{ a|join }}",
    "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('ab') }}",
    "{% set x %}{% for i in range(20000) %}" + "y" * 500 + "{% endfor %}{% endset %}{{ 1 }}",
    "{% for i in range(20000) %}{% set y = ('x' * 100000)|replace('x', 'yy') %}{% endfor %}",
    "{{ ('x' * 100000)|replace('x', 'xxxxxxxxxx') }}",
    "{{ range(20000)|join(',' * 100000) }}",
    "{% for i in range(20000) %}{{ 'abcdefghij' * 100 }}{% endfor %}",
    "{{ 'a'.center(10**9) }}",
    "{{ 'a'.zfill(10**9) }}",
]


@pytest.mark.parametrize("source", HUGE)
def test_huge_loops_and_values_stop_quickly_with_an_error(source, context):
    problem = problem_of(source, context)
    assert str(problem)


def test_html_preview_text_is_measured_too(context):
    # Text repeated by a loop counts, even inside a macro that is never printed.
    source = "{% macro m() %}{% for i in range(20000) %}" + "z" * 200 + "{% endfor %}{% endmacro %}"
    problem_of(source + "{% set x = m() %}done", context)


def test_printing_a_group_says_what_to_print(context):
    problem = problem_of("{{ company }}", context)
    assert "company.name" in str(problem)


def test_documented_variables_are_what_the_builder_gives():
    from admin_app.models import Company, Contact, Invoice, User
    company = Company(name="Builder Co", status="client")  # never added to the session
    contact = Contact(company=company, first_name="Ann", last_name="Lee")
    invoice = Invoice(company=company, number="INV-1", total_excl_tax=Decimal("1"),
                      total_tax=Decimal("0"), total_incl_tax=Decimal("1"))
    user = User(email="u@example.com", full_name="U")
    built = build_context(VARIABLES, company, contact, user, invoice)
    empty = build_context(VARIABLES)
    for group, fields in VARIABLES.items():
        documented = {name for name, _help, _example in fields}
        assert set(built[group]) == documented, group
        assert set(empty[group]) == documented, group
    assert built["company"]["name"] == "Builder Co" and built["document"]["number"] == "INV-1"
    assert built["sender"]["name"]  # from the settings


def test_every_documented_example_renders(context):
    source = " ".join(f"{{{{ {group}.{name} }}}}" for group, fields in VARIABLES.items()
                      for name, _help, _example in fields)
    assert "Acme Logistics" in render(source, sample_context(VARIABLES))
