"""Registry pages: thin — parse input, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from hongxia.core.generic import (
    ScopedActionView,
    ScopedDetailView,
    ScopedExportView,
    ScopedListView,
    ScopedMixin,
    errors_to_messages,
)
from hongxia.core.models import AuditLog
from hongxia.core.pagination import Page, paginate
from hongxia.ingest.exports import roster_response
from hongxia.people import selectors, services
from hongxia.people.choices import LifeStatus
from hongxia.people.forms import ContactForm, DeathForm, PersonForm, TagForm, region_label_map
from hongxia.people.models import Contact, Person, Tag

# What a registry row shows: the stored masks, never the encrypted columns.
LIST_COLUMNS = (
    "id",
    "name",
    "name_pinyin",
    "gender",
    "birth_date",
    "lunar_birthday",
    "category",
    "rank",
    "former_unit",
    "region__name",
    "id_masked",
    "phone_masked",
    "life_status",
)


def person_rows_html(rows: list[dict[str, Any]]) -> SafeString:
    """The registry's table rows, built in Python: the template engine spent more time on 50
    rows than the database on the page and its count."""
    fields: dict[str, Any] = {n: Person._meta.get_field(n) for n in ("gender", "category", "rank")}
    labels = {
        name: {code: str(label) for code, label in field.flatchoices}
        for name, field in fields.items()
    }
    detail = reverse("people:detail", args=[0])
    head, tail = detail[: detail.rindex("0")], detail[detail.rindex("0") + 1 :]
    deceased_badge = f' <span class="badge deceased">{escape(_("Deceased"))}</span>'
    lunar = f" <small>{escape(_('(lunar)'))}</small>"
    dead_row = '<tr class="deceased">'
    out = []
    for p in rows:
        dead = p["life_status"] == LifeStatus.DECEASED
        birth = p["birth_date"]
        category = p["category"]
        out.append(
            f"{dead_row if dead else '<tr>'}"
            f'<td><a href="{head}{p["id"]}{tail}">{escape(p["name"])}</a>'
            f"{deceased_badge if dead else ''}</td>"
            f"<td>{escape(labels['gender'].get(p['gender'], p['gender']))}</td>"
            f'<td class="nowrap">{birth.isoformat() if birth else ""}'
            f"{lunar if p['lunar_birthday'] else ''}</td>"
            f'<td><span class="badge {escape(category)}">'
            f"{escape(labels['category'].get(category, category))}</span></td>"
            f"<td>{escape(labels['rank'].get(p['rank'], p['rank']))}</td>"
            f"<td>{escape(p['former_unit'])}</td>"
            f"<td>{escape(p['region__name'] or '')}</td>"
            f'<td class="masked">{escape(p["id_masked"])}</td>'
            f'<td class="masked">{escape(p["phone_masked"])}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped


class PersonListView(ScopedListView):
    """信息库 — the registry list with filters, search and keyset pages.

    Its content is cached per data version (core.versions): the same page for the same
    scope, permissions, language, query and day is built once, until a write to the registry
    or the regions."""

    model = Person
    permission_required = "people.view_person"
    filterset_class = selectors.PersonFilter
    ordering = selectors.LIST_ORDERING
    template_name = "people/person_list.html"
    content_template_name = "people/_person_list_content.html"
    partial_template_name = "people/_person_rows.html"
    cache_topics = ("people", "regions")
    page_columns = LIST_COLUMNS

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["rows_html"] = person_rows_html(ctx["page"].rows)
        return ctx

    # A search by keys (name, pinyin, initials, last digits) is paged on the keys themselves,
    # in relevance order: the matched key (an exact match first, then the longer ones in
    # order), then the name. The index (key, name_pinyin, person) yields that order without
    # a sort and without visiting a person; only the people of the page are checked against
    # scope and filters, and fetched. A person under two keys of the range is listed under
    # the first. In name order instead, the database had to visit or sort every match (92,000
    # for "zhang" at province scale).
    search_keys: Any = None

    def filtered(self) -> tuple[Any, Any]:
        keys = selectors.search_keys(self.request.GET.get("q", ""))
        f = self.filterset_class(
            self.request.GET or None,
            queryset=self.get_queryset(),
            request=self.request,
            skip_search=keys is not None,
        )
        if f.is_bound and not f.is_valid():
            return f, self.get_queryset().none()
        self.search_keys = keys
        return f, f.qs

    def get_page(self, qs: Any) -> Page:
        if self.search_keys is None:
            return super().get_page(qs)
        earlier_key = self.search_keys.filter(
            person_id=OuterRef("person_id"), key__lt=OuterRef("key")
        )
        # EXISTS, not IN: SQLite would drive an IN from the people in scope (all of them).
        in_scope = qs.order_by().filter(pk=OuterRef("person_id"))
        matches = self.search_keys.filter(Exists(in_scope)).exclude(Exists(earlier_key))
        page = paginate(
            matches.values("key", "name_pinyin", "person_id"),
            ordering=["key", "name_pinyin", "person_id"],
            cursor=self.request.GET.get("cursor"),
            page_size=self.page_size or settings.HONGXIA_PAGE_SIZE,
            count_cap=self.get_count_cap(),
        )
        ids = [m["person_id"] for m in page.rows]
        people = {p["id"]: p for p in Person.objects.filter(pk__in=ids).values(*LIST_COLUMNS)}
        page.rows = [people[i] for i in ids if i in people]
        return page

    # A search is a look-up, not a census: "more than 200" says "type more"; counting a
    # common prefix (zhang: 92,000 at province scale) further cost more than the page.
    search_count_cap = 200

    def get_count_cap(self) -> int:
        return self.search_count_cap if self.request.GET.get("q") else self.count_cap


class PersonExportView(ScopedExportView):
    """The list as filtered, as the roster export (/import/export/, where the list's buttons
    go): the importer's own columns, so the file goes back in. Masked unless the user may see
    the numbers and asks for them (?unmasked=1); audited."""

    model = Person
    permission_required = "people.export_person"
    filterset_class = selectors.PersonFilter
    ordering = selectors.LIST_ORDERING

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        params = request.GET.copy()
        unmasked = params.pop("unmasked", [""])[-1] == "1"
        if unmasked and not request.user.has_perm("people.view_sensitive"):
            raise PermissionDenied
        _f, qs = self.filtered()
        return roster_response(
            user=request.user,
            queryset=qs,
            fmt="xlsx",
            encoding="utf-8",
            unmasked=unmasked,
            note=params.urlencode(),
        )


class PersonDetailView(ScopedDetailView):
    model = Person
    permission_required = "people.view_person"
    template_name = "people/person_detail.html"
    context_object_name = "person"

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("region", "survivor_of")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        person = self.object
        ctx["contacts"] = person.contacts.all()
        ctx["events"] = person.events.all()[:50]
        ctx["survivors"] = person.survivors.visible_to(self.request.user)
        ctx["history"] = AuditLog.objects.filter(person_id=person.pk).order_by("-at", "-id")[:50]
        ctx["region_label"] = region_label_map().get(person.region_id, "")
        ctx["tags"] = person.tags.all()
        ctx["death_form"] = DeathForm()
        ctx["contact_form"] = ContactForm()
        ctx["age"] = person.age_on(person.death_date or timezone.localdate())
        return ctx


class PersonCreateView(ScopedMixin, TemplateView):
    model = Person
    permission_required = "people.add_person"
    template_name = "people/person_form.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render(PersonForm(user=request.user))

    def render(self, form: PersonForm, person: Person | None = None) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form, "person": person})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = PersonForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                person = services.person_create(
                    actor=request.user, data=form.service_data(), tags=form.cleaned_data["tags"]
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": person.name})
                return redirect(person)
        return self.render(form)


class PersonEditView(PersonCreateView):
    permission_required = "people.change_person"

    def get_object(self) -> Person:
        try:
            return self.scoped_queryset().get(pk=self.kwargs["pk"])
        except Person.DoesNotExist as exc:
            raise Http404 from exc

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = self.get_object()
        form = PersonForm(
            instance=person, user=request.user, initial={"tags": list(person.tags.all())}
        )
        return self.render(form, person)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = self.get_object()
        form = PersonForm(
            request.POST, instance=Person.objects.get(pk=person.pk), user=request.user
        )
        if form.is_valid():
            try:
                services.person_update(
                    actor=request.user,
                    person=person,
                    data=form.service_data(),
                    tags=form.cleaned_data["tags"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": person.name})
                return redirect(person)
        return self.render(form, person)


class PersonDeathView(ScopedActionView):
    """记录去世 — one action: status, date, a life event; survivors stay in the registry."""

    model = Person
    permission_required = "people.record_death"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = self.get_object()
        form = DeathForm(request.POST)
        if form.is_valid():
            try:
                services.person_record_death(
                    actor=request.user,
                    person=person,
                    date=form.cleaned_data["date"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                errors_to_messages(request, exc)
            else:
                messages.success(
                    request, _("The death of %(name)s is recorded.") % {"name": person.name}
                )
        else:
            errors_to_messages(request, form.errors, form)
        return redirect(person)


class ContactAddView(ScopedActionView):
    """Add a family member or emergency contact to a person (from the detail page)."""

    model = Person
    permission_required = "people.change_person"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = self.get_object()
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                services.contact_save(
                    actor=request.user, person=person, contact=None, data=form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("Contact added."))
        else:
            errors_to_messages(request, form.errors, form)
        return redirect(person)


class ContactDeleteView(ScopedActionView):
    """Remove a contact; the audit trail keeps what it was."""

    model = Contact
    permission_required = "people.change_person"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        contact = self.get_object()
        person = contact.person
        services.contact_delete(actor=request.user, contact=contact)
        messages.success(request, _("Contact removed."))
        return redirect(person)


class PersonRevealView(ScopedActionView):
    """Show one sensitive value unmasked (an htmx fragment); every reveal is logged."""

    model = Person
    permission_required = "people.view_person"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = self.get_object()
        field = self.kwargs["field"]
        if field not in {"id_number", "phone", "landline"}:
            raise Http404
        try:
            value = services.reveal(actor=request.user, person=person, field=field)
        except PermissionDenied:
            raise
        return render(request, "people/_revealed.html", {"value": value})


def _add_errors(form: Any, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        target = field if field in form.fields else None
        for msg in msgs:
            form.add_error(target, msg)


class TagListView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """精细分类 — the classification tags, edited by the city administrator."""

    permission_required = "people.manage_tags"
    template_name = "people/tag_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["tags"] = Tag.objects.all()
        ctx.setdefault("form", TagForm())
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        toggle = request.POST.get("toggle")
        if toggle:
            try:
                tag = Tag.objects.filter(pk=int(toggle)).first()
            except (TypeError, ValueError):
                tag = None  # the buttons post a tag's id; anything else is no tag
            if tag is None:
                raise Http404
            services.tag_save(actor=request.user, tag=tag, data={"active": not tag.active})
            return redirect("people:tags")
        form = TagForm(request.POST)
        if form.is_valid():
            try:
                services.tag_save(actor=request.user, tag=None, data=form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)  # type: ignore[arg-type]
            else:
                messages.success(
                    request, _("Saved %(name)s.") % {"name": form.cleaned_data["name"]}
                )
                return redirect("people:tags")
        return self.render_to_response(self.get_context_data(form=form))
