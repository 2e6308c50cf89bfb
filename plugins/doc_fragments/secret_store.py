# -*- coding: utf-8 -*-
# Copyright: (c) 2026, devportal.dcr contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The O(secret_store) option: where a secret shown once is kept (a local file, or HashiCorp Vault / OpenBao KV v2)."""

    DOCUMENTATION = r"""
options:
  secret_store:
    description:
      - Where the secret this task receives is kept beyond the run, for example in an AWX job whose filesystem is
        discarded when the job ends. Not set, the secret is only in the task's result (C(no_log)).
      - The secret is stored before the task reports success; when storing fails it is still in the result, and the
        task fails with the reason.
      - A run that would store the same values writes nothing and creates no new version (the record is read before
        it is written); check mode only reads, and predicts the write.
      - Every write is a check-and-set against the record the run read. A record that someone else wrote in the
        meantime is never overwritten; the task fails with a clear error and the value in hand stays in the result.
      - "The records and their keys: an application's credentials at V(devportal-dcr/applications/<application name>)
        (C(client_id), C(client_secret), C(application_id), C(portal_url)); the DCR credential's secret at
        V(devportal-dcr/dcr-credentials/<Curity client id>) (C(client_id), C(client_secret)). Keys someone else added
        to a record are kept."
    type: dict
    suboptions:
      backend:
        description:
          - V(file) is a JSON file on the host where the module runs, mode 0600, written atomically; a file holding
            another client's record is first copied to C(<file>.<UTC timestamp>). It keeps no versions.
          - V(vault) is a HashiCorp Vault or OpenBao server, secrets engine KV version 2. Each write is a new version
            of the record, the older ones are kept by the server. Needs the C(hvac) Python library.
        type: str
        required: true
        choices: [file, vault]
      path:
        description:
          - With O(secret_store.backend=file), the path of the file (required).
          - With O(secret_store.backend=vault), the path of the record below O(secret_store.engine_mount_point),
            without the mount and without C(data/), as in community.hashi_vault, for example
            V(devportal-dcr/applications/orders-client). Not set, the record's documented path (see above).
          - An AWX job template reads it back with the C(HashiCorp Vault Secret Lookup) credential plugin, API version
            V(v2), name of secret backend O(secret_store.engine_mount_point), path to secret this path, key name
            C(client_secret).
        type: str
      url:
        description:
          - URL of the Vault or OpenBao server, for example V(https://vault.example.com:8200).
          - Must be an absolute C(http) or C(https) URL without credentials. Redirects are not followed, so that the
            token never goes to another address.
          - If not set, the value of the E(VAULT_ADDR) environment variable is used.
          - Required with O(secret_store.backend=vault).
        type: str
      auth_method:
        description:
          - How the module logs in to Vault.
          - V(token) uses O(secret_store.token). V(approle) logs in with O(secret_store.role_id) and
            O(secret_store.secret_id) and uses the token the login returns (never shown).
          - If not set, the value of the E(ANSIBLE_HASHI_VAULT_AUTH_METHOD) environment variable is used; without it,
            V(approle) when O(secret_store.role_id) is set and O(secret_store.token) is not, V(token) otherwise.
        type: str
        choices: [token, approle]
      token:
        description:
          - The Vault token, with O(secret_store.auth_method=token). It is never logged nor returned.
          - If not set, the value of the E(VAULT_TOKEN) environment variable is used.
        type: str
      role_id:
        description:
          - The AppRole role ID, with O(secret_store.auth_method=approle).
          - If not set, the value of the E(ANSIBLE_HASHI_VAULT_ROLE_ID) or E(VAULT_ROLE_ID) environment variable is used.
        type: str
      secret_id:
        description:
          - The AppRole secret ID, with O(secret_store.auth_method=approle). It is never logged nor returned.
          - If not set, the value of the E(ANSIBLE_HASHI_VAULT_SECRET_ID) or E(VAULT_SECRET_ID) environment variable is
            used.
        type: str
      mount_point:
        description:
          - Where the AppRole auth method is mounted. Not set, V(approle).
        type: str
      namespace:
        description:
          - The Vault namespace (Vault Enterprise, HCP Vault, OpenBao namespaces), sent as C(X-Vault-Namespace).
          - If not set, the value of the E(VAULT_NAMESPACE) environment variable is used.
        type: str
      engine_mount_point:
        description:
          - Where the KV version 2 secrets engine is mounted.
        type: str
        default: secret
      ca_cert:
        description:
          - PEM file of the CA certificates that sign the Vault server's certificate.
          - If not set, the value of the E(VAULT_CACERT) environment variable is used.
        type: path
      validate_certs:
        description:
          - Whether to check the TLS certificate of the Vault server. Set to V(false) only on test systems; the module
            then warns. Prefer O(secret_store.ca_cert) for a private CA.
          - If not set, and the E(VAULT_SKIP_VERIFY) environment variable is true, V(false).
        type: bool
        default: true
      timeout:
        description:
          - Time limit of each attempt of an HTTP request to Vault, in seconds, for the whole exchange; the total
            deadline of a request, retries included, is four times this value.
        type: int
        default: 30
notes:
  - "Vault policy the token needs on each record: C(create), C(read) and C(update) on
    C(<engine_mount_point>/data/<path>) (reading is how a re-run writes nothing, and how the check-and-set knows the
    version). The role's plan checks them with C(sys/capabilities-self), which Vault's default policy allows, before
    its first write anywhere."
  - The environment variables are those of community.hashi_vault (E(VAULT_ADDR), E(VAULT_TOKEN), E(VAULT_CACERT),
    E(VAULT_NAMESPACE), E(VAULT_SKIP_VERIFY); for AppRole E(ANSIBLE_HASHI_VAULT_AUTH_METHOD),
    E(ANSIBLE_HASHI_VAULT_ROLE_ID), E(ANSIBLE_HASHI_VAULT_SECRET_ID)). AWX refuses to inject variables named
    C(ANSIBLE_*), so the collection's AWX credential type for the secret store injects the AppRole ids as
    E(VAULT_ROLE_ID) and E(VAULT_SECRET_ID).
  - OpenBao speaks the Vault API; the store is tested against a real OpenBao server.
requirements:
  - hvac (only with O(secret_store.backend=vault))
"""

    # The info modules: the same option, reporting whether a record is stored and its version (never a value).
    REPORT = r"""
options:
  secret_store:
    description:
      - The secret store where the records of M(devportal.dcr.portal_application) and M(devportal.dcr.curity_token)
        are kept. With it, the result tells for each object whether its record is stored and the record's version
        (Vault), never a value. The module only reads the store.
      - "The documented paths of the records: V(devportal-dcr/applications/<application name>) and
        V(devportal-dcr/dcr-credentials/<Curity client id>)."
    type: dict
    suboptions:
      backend:
        description:
          - V(file) is a JSON file on the host where the module runs, mode 0600, written atomically; a file holding
            another client's record is first copied to C(<file>.<UTC timestamp>). It keeps no versions.
          - V(vault) is a HashiCorp Vault or OpenBao server, secrets engine KV version 2. Each write is a new version
            of the record, the older ones are kept by the server. Needs the C(hvac) Python library.
        type: str
        required: true
        choices: [file, vault]
      path:
        description:
          - With O(secret_store.backend=file), the path of the file (required).
          - With O(secret_store.backend=vault), the path of the record below O(secret_store.engine_mount_point),
            without the mount and without C(data/), as in community.hashi_vault, for example
            V(devportal-dcr/applications/orders-client). Not set, the record's documented path (see above).
          - An AWX job template reads it back with the C(HashiCorp Vault Secret Lookup) credential plugin, API version
            V(v2), name of secret backend O(secret_store.engine_mount_point), path to secret this path, key name
            C(client_secret).
        type: str
      url:
        description:
          - URL of the Vault or OpenBao server, for example V(https://vault.example.com:8200).
          - Must be an absolute C(http) or C(https) URL without credentials. Redirects are not followed, so that the
            token never goes to another address.
          - If not set, the value of the E(VAULT_ADDR) environment variable is used.
          - Required with O(secret_store.backend=vault).
        type: str
      auth_method:
        description:
          - How the module logs in to Vault.
          - V(token) uses O(secret_store.token). V(approle) logs in with O(secret_store.role_id) and
            O(secret_store.secret_id) and uses the token the login returns (never shown).
          - If not set, the value of the E(ANSIBLE_HASHI_VAULT_AUTH_METHOD) environment variable is used; without it,
            V(approle) when O(secret_store.role_id) is set and O(secret_store.token) is not, V(token) otherwise.
        type: str
        choices: [token, approle]
      token:
        description:
          - The Vault token, with O(secret_store.auth_method=token). It is never logged nor returned.
          - If not set, the value of the E(VAULT_TOKEN) environment variable is used.
        type: str
      role_id:
        description:
          - The AppRole role ID, with O(secret_store.auth_method=approle).
          - If not set, the value of the E(ANSIBLE_HASHI_VAULT_ROLE_ID) or E(VAULT_ROLE_ID) environment variable is used.
        type: str
      secret_id:
        description:
          - The AppRole secret ID, with O(secret_store.auth_method=approle). It is never logged nor returned.
          - If not set, the value of the E(ANSIBLE_HASHI_VAULT_SECRET_ID) or E(VAULT_SECRET_ID) environment variable is
            used.
        type: str
      mount_point:
        description:
          - Where the AppRole auth method is mounted. Not set, V(approle).
        type: str
      namespace:
        description:
          - The Vault namespace (Vault Enterprise, HCP Vault, OpenBao namespaces), sent as C(X-Vault-Namespace).
          - If not set, the value of the E(VAULT_NAMESPACE) environment variable is used.
        type: str
      engine_mount_point:
        description:
          - Where the KV version 2 secrets engine is mounted.
        type: str
        default: secret
      ca_cert:
        description:
          - PEM file of the CA certificates that sign the Vault server's certificate.
          - If not set, the value of the E(VAULT_CACERT) environment variable is used.
        type: path
      validate_certs:
        description:
          - Whether to check the TLS certificate of the Vault server. Set to V(false) only on test systems; the module
            then warns. Prefer O(secret_store.ca_cert) for a private CA.
          - If not set, and the E(VAULT_SKIP_VERIFY) environment variable is true, V(false).
        type: bool
        default: true
      timeout:
        description:
          - Time limit of each attempt of an HTTP request to Vault, in seconds, for the whole exchange; the total
            deadline of a request, retries included, is four times this value.
        type: int
        default: 30
notes:
  - "Vault policy the token needs on each record to report it: C(read) on C(<engine_mount_point>/data/<path>)."
  - The environment variables are those of community.hashi_vault (E(VAULT_ADDR), E(VAULT_TOKEN), E(VAULT_CACERT),
    E(VAULT_NAMESPACE), E(VAULT_SKIP_VERIFY); for AppRole E(ANSIBLE_HASHI_VAULT_AUTH_METHOD),
    E(ANSIBLE_HASHI_VAULT_ROLE_ID), E(ANSIBLE_HASHI_VAULT_SECRET_ID)). AWX refuses to inject variables named
    C(ANSIBLE_*), so the collection's AWX credential type for the secret store injects the AppRole ids as
    E(VAULT_ROLE_ID) and E(VAULT_SECRET_ID).
  - OpenBao speaks the Vault API; the store is tested against a real OpenBao server.
requirements:
  - hvac (only with O(secret_store.backend=vault))
"""
