"""Settings of the co-deployment test's Django project: the original backend's models
(users/models.py) on the PostgreSQL database the test starts. Everything comes from the
environment the test sets: DJANGO_DB_NAME, DJANGO_DB_USER, DJANGO_DB_HOST (a socket directory)."""
import os

SECRET_KEY = "django-codeploy-test-key-not-the-services-0123456789"
DEBUG = False
ALLOWED_HOSTS = []
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "users"]
MIDDLEWARE = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["DJANGO_DB_NAME"],
        "USER": os.environ["DJANGO_DB_USER"],
        "HOST": os.environ["DJANGO_DB_HOST"],
        "PORT": "",
    }
}
AUTH_USER_MODEL = "users.User"
# Argon2 first, with Django's own parameters (Django 3.2: m=102400 t=2 p=8), as the original.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# ImageField needs Pillow only to read images; the columns are plain varchar(100) and this test
# stores no image through Django.
SILENCED_SYSTEM_CHECKS = ["fields.E210"]
