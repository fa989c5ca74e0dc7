using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cordon.Operators;

/// <summary>The app roles of Cordon's Entra ID app registration (infra/auth/app-roles.json).</summary>
public static class OperatorRoles
{
    /// <summary>May act: retry a failed step, record a decision at a gate, close an incident, restart one whose workflow failed.</summary>
    public const string Operator = "Cordon.Operator";

    /// <summary>May view incidents and the dashboard.</summary>
    public const string Reader = "Cordon.Reader";

    public static readonly IReadOnlyList<string> All = [Operator, Reader];
}

/// <summary>One claim of an App Service Authentication principal.</summary>
public sealed record PrincipalClaim([property: JsonPropertyName("typ")] string Type, [property: JsonPropertyName("val")] string Value);

/// <summary>
/// The signed-in person, as App Service Authentication (Easy Auth) hands it to the app: the
/// X-MS-CLIENT-PRINCIPAL header, base64 JSON {auth_typ, name_typ, role_typ, claims:[{typ, val}]}, app
/// roles as "roles" claims. The platform signs the user in and strips any such header a client sends;
/// the local host stands in for it (loopback callers only).
/// </summary>
public sealed record OperatorPrincipal(string Name, string? PreferredUsername, string? ObjectId, IReadOnlyList<string> Roles, string AuthType)
{
    public const string Header = "X-MS-CLIENT-PRINCIPAL";

    const int MaxHeaderLength = 16 * 1024;
    const int MaxNameLength = 100;
    const string RoleType = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";
    const string NameType = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
    const string ObjectIdType = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    const string UpnType = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";

    const string EmailType = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";

    /// <summary>The e-mail addresses the sign-in carried (Entra's optional email claim), if any.</summary>
    public IReadOnlyList<string> Emails { get; init; } = [];

    /// <summary>Every address this person signs in or is mailed under: the sign-in name and the e-mail claims.</summary>
    public IReadOnlyList<string> SignInAddresses =>
        new[] { PreferredUsername }.Concat(Emails).OfType<string>().Select(a => a.Trim().ToLowerInvariant()).Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    public bool CanAct => Roles.Contains(OperatorRoles.Operator);

    public bool CanView => CanAct || Roles.Contains(OperatorRoles.Reader);

    /// <summary>The role shown beside the name: the strongest Cordon role held.</summary>
    public string? Role => CanAct ? OperatorRoles.Operator : CanView ? OperatorRoles.Reader : null;

    /// <summary>Who acted, as the timeline shows it: "Olga Ops (olga.ops@contoso.example)".</summary>
    public string Display
    {
        get
        {
            string text = PreferredUsername is null || string.Equals(PreferredUsername, Name, StringComparison.OrdinalIgnoreCase)
                ? Name : $"{Name} ({PreferredUsername})";
            return text.Length <= MaxNameLength * 2 ? text : text[..(MaxNameLength * 2)] + "…";
        }
    }

    /// <summary>
    /// The person, for counting distinct votes at a quorum gate: the sign-in name (what approvers'
    /// e-mail addresses are compared with), else the directory object id, else the display name.
    /// </summary>
    public string Identity => (PreferredUsername ?? ObjectId ?? Name).Trim().ToLowerInvariant();

    /// <summary>Reads the header; null when it is absent, not base64 JSON, or names nobody.</summary>
    public static OperatorPrincipal? Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || header.Length > MaxHeaderLength)
        {
            return null;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(Convert.FromBase64String(header.Trim()));
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("claims", out JsonElement claimsElement) || claimsElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            string? nameType = Text(root, "name_typ");
            string? roleType = Text(root, "role_typ");
            var claims = claimsElement.EnumerateArray()
                .Where(c => c.ValueKind == JsonValueKind.Object && Text(c, "typ") is not null && Text(c, "val") is not null)
                .Select(c => new PrincipalClaim(Text(c, "typ")!, Text(c, "val")!))
                .ToList();
            string? First(params string?[] types) => types.Where(t => t is not null)
                .Select(t => claims.FirstOrDefault(c => c.Type == t)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

            string? preferred = First("preferred_username", UpnType, "upn");
            string? name = First("name", nameType, NameType) ?? preferred ?? First("appid", "azp");
            if (name is null)
            {
                return null;
            }

            var roles = claims.Where(c => c.Type == "roles" || c.Type == roleType || c.Type == RoleType)
                .Select(c => c.Value.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            // Addresses whole (an e-mail address has at most 254 characters): they are compared with the incident's subject,
            // and a UPN cut at 100 characters never matched a long one (found by an attack: the subject could vote).
            var emails = claims.Where(c => c.Type is "email" or "emails" or EmailType).Select(c => Clean(c.Value.Trim(), MaxAddressLength)).Where(v => v.Contains('@'))
                .Distinct(StringComparer.OrdinalIgnoreCase).Take(5).ToList();
            return new OperatorPrincipal(Clean(name), preferred is null ? null : Clean(preferred, MaxAddressLength), First("oid", ObjectIdType), roles, Text(root, "auth_typ") ?? "")
            {
                Emails = emails,
            };
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The header value for a principal (the local sign-in page and tests write it like the platform does).</summary>
    public static string Encode(string name, string? preferredUsername, IEnumerable<string> roles, string authType = "aad")
    {
        var claims = new List<PrincipalClaim> { new("name", name) };
        if (preferredUsername is not null)
        {
            claims.Add(new("preferred_username", preferredUsername));
        }

        claims.AddRange(roles.Select(r => new PrincipalClaim("roles", r)));
        var body = new Dictionary<string, object> { ["auth_typ"] = authType, ["name_typ"] = "name", ["role_typ"] = "roles", ["claims"] = claims };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body)));
    }

    static string? Text(JsonElement e, string property) =>
        e.TryGetProperty(property, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>No control characters on the timeline; bounded, since it lands in the incident's status.</summary>
    static string Clean(string s, int max = MaxNameLength)
    {
        string text = new(s.Where(ch => !char.IsControl(ch)).ToArray());
        return text.Length <= max ? text : text[..max] + "…";
    }

    const int MaxAddressLength = 254;
}
