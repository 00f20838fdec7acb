from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from . import services
from .models import User


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email", "full_name", "role")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Já existe um usuário com este e-mail."))
        return email


class UserChangeForm(auth_forms.UserChangeForm):
    actor = None  # the admin sets the user editing (see UserAdmin.get_form)

    class Meta:
        model = User
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "role" in cleaned and "is_active" in cleaned:
            stored = User.objects.get(pk=self.instance.pk)
            services.user_check_admin_kept(stored, role=cleaned["role"], active=cleaned["is_active"], actor=self.actor)
        return cleaned

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Já existe um usuário com este e-mail."))
        return email
