using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cordon.Approvals;

public sealed class ApprovalOptions : Cordon.World.ISelfValidatingOptions
{
    public const string Section = "Cordon:Approvals";

    /// <summary>
    /// Checked at start-up, as the tokens decode them: a key that is not base64 or too short (an unresolved Key Vault
    /// reference) stops start-up naming the setting (found by an attack: the host started, and the first gate's mail failed).
    /// </summary>
    public IReadOnlyList<string> Validate() =>
        new[] { ApprovalTokens.KeyProblem(SigningKey, "Cordon:Approvals:SigningKey"),
            string.IsNullOrWhiteSpace(PreviousSigningKey) ? null : ApprovalTokens.KeyProblem(PreviousSigningKey, "Cordon:Approvals:PreviousSigningKey") }
        .OfType<string>().ToList();

    /// <summary>HMAC-SHA256 key (base64, ≥ 32 bytes). In Azure a Key Vault reference.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>The previous key, accepted until <see cref="PreviousKeyValidUntil"/> (key rotation).</summary>
    public string? PreviousSigningKey { get; set; }

    public DateTimeOffset? PreviousKeyValidUntil { get; set; }

    /// <summary>Public base URL of the app, e.g. https://cordon.example.com; links are {BaseUrl}/api/approvals/{token}.</summary>
    public string BaseUrl { get; set; } = "http://127.0.0.1:7071";
}

/// <summary>
/// What a valid approval token carries. <paramref name="ApproverId"/> names the approver without naming the address:
/// in links made now <see cref="ApprovalTokens.ApproverId"/> (a keyed hash), in version-1 links mailed before that
/// <see cref="ApproverIdentity.Hash"/>. Only <see cref="TokenCheck.Names"/> tells whose it is.
/// </summary>
public sealed record ApprovalClaims(string IncidentId, string GateId, string ApproverId, DateTimeOffset ExpiresAt);

public enum TokenProblem { None, Malformed, BadSignature, Expired }

public sealed record TokenCheck(ApprovalClaims? Claims, TokenProblem Problem)
{
    public bool IsValid => Problem == TokenProblem.None;

    /// <summary>The approver key of the signing key that signed the link (version 2); null for a version-1 link.</summary>
    internal byte[]? ApproverKey { get; init; }

    /// <summary>
    /// Whether the link was issued to <paramref name="address"/> (any spelling of it): its approver id is that address's
    /// keyed hash under the key that signed the link, or, for a version-1 link, the address's unkeyed hash.
    /// </summary>
    public bool Names(string address) =>
        Claims is { } c && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(c.ApproverId),
            Encoding.ASCII.GetBytes(ApproverKey is null ? ApproverIdentity.Hash(address) : ApprovalTokens.ApproverId(ApproverKey, address)));
}

/// <summary>
/// Signed approval links: base64url(payload) "." base64url(HMAC-SHA256(payload)). The payload holds ids and an
/// approver id only: since version 2 a keyed hash of the address (<see cref="ApproverId(string)"/>), which nobody
/// without the signing key can compute, so a link seen by others does not confirm a guessed address. Version-1 links,
/// mailed before, carry the unkeyed <see cref="ApproverIdentity.Hash"/> and are still read until they expire. The
/// orchestration stays the source of truth; a valid token only proves who may ask, not that the gate is still open.
/// </summary>
public sealed class ApprovalTokens
{
    /// <summary>The version links are made in: 2, the approver named by a keyed hash.</summary>
    public const int Version = 2;
    /// <summary>The version of links mailed before approvers were keyed: the unkeyed hash; read, never made.</summary>
    const int UnkeyedVersion = 1;
    const int MaxTokenLength = 1024;
    /// <summary>Hex characters of a keyed approver id (128 bits); a version-1 id has 24.</summary>
    const int ApproverIdLength = 32;
    static readonly long MinExpiry = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    static readonly long MaxExpiry = DateTimeOffset.MaxValue.ToUnixTimeSeconds();
    readonly byte[] key;
    readonly byte[] approverKey;
    readonly byte[]? previousKey;
    readonly byte[]? previousApproverKey;
    readonly DateTimeOffset? previousUntil;
    readonly TimeProvider time;

    public ApprovalTokens(IOptions<ApprovalOptions> options, TimeProvider time)
    {
        ApprovalOptions o = options.Value;
        key = DecodeKey(o.SigningKey, "Cordon:Approvals:SigningKey");
        approverKey = ApproverKeyOf(key);
        previousKey = string.IsNullOrWhiteSpace(o.PreviousSigningKey) ? null : DecodeKey(o.PreviousSigningKey, "Cordon:Approvals:PreviousSigningKey");
        previousApproverKey = previousKey is null ? null : ApproverKeyOf(previousKey);
        previousUntil = o.PreviousKeyValidUntil;
        this.time = time;
    }

    /// <summary>
    /// How a link made now names <paramref name="address"/> (any spelling of it): a keyed hash, under a key derived from
    /// the current signing key, that only the holder of that key can compute or confirm.
    /// </summary>
    public string ApproverId(string address) => ApproverId(approverKey, address);

    /// <summary>
    /// A link for <paramref name="claims"/>, signed with the current key, in the current version. Its
    /// <see cref="ApprovalClaims.ApproverId"/> must be <see cref="ApproverId(string)"/> of the approver's address.
    /// </summary>
    public string Create(ApprovalClaims claims)
    {
        if (!IsKeyedId(claims.ApproverId))
        {
            throw new ArgumentException("The approver id must be ApprovalTokens.ApproverId(address), a keyed hash (an unkeyed hash would let a link confirm a guessed address).", nameof(claims));
        }

        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(Version, claims.IncidentId, claims.GateId, claims.ApproverId, claims.ExpiresAt.ToUnixTimeSeconds()));
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, payload));
    }

    public TokenCheck Read(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return new TokenCheck(null, TokenProblem.Malformed);
        }

        int dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot != token.LastIndexOf('.') || dot == token.Length - 1)
        {
            return new TokenCheck(null, TokenProblem.Malformed);
        }

        byte[] payload, signature;
        try
        {
            payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return new TokenCheck(null, TokenProblem.Malformed);
        }

        DateTimeOffset now = time.GetUtcNow();
        // The approver key of the key that signed: a version-2 link made before a rotation names its approver under the previous key's.
        byte[]? signerApproverKey = Matches(key, payload, signature) ? approverKey
            : previousKey is not null && (previousUntil is null || now <= previousUntil) && Matches(previousKey, payload, signature) ? previousApproverKey
            : null;
        if (signerApproverKey is null)
        {
            return new TokenCheck(null, TokenProblem.BadSignature);
        }

        Payload? p;
        try
        {
            p = JsonSerializer.Deserialize<Payload>(payload);
        }
        catch (JsonException)
        {
            return new TokenCheck(null, TokenProblem.Malformed);
        }

        // The version tells the two apart: 2 names the approver by a keyed id, 1 (links mailed before) by the unkeyed hash.
        if (p is null || p.V is not (Version or UnkeyedVersion) || string.IsNullOrEmpty(p.I) || string.IsNullOrEmpty(p.G) || string.IsNullOrEmpty(p.A)
            || (p.V == Version && !IsKeyedId(p.A)) || p.E < MinExpiry || p.E > MaxExpiry)
        {
            return new TokenCheck(null, TokenProblem.Malformed);
        }

        var claims = new ApprovalClaims(p.I, p.G, p.A, DateTimeOffset.FromUnixTimeSeconds(p.E));
        return new TokenCheck(claims, now > claims.ExpiresAt ? TokenProblem.Expired : TokenProblem.None)
        {
            ApproverKey = p.V == Version ? signerApproverKey : null,
        };
    }

    static bool Matches(byte[] key, byte[] payload, byte[] signature) =>
        CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), signature);

    /// <summary>The key approver ids are hashed with, derived from a signing key and used for nothing else.</summary>
    static byte[] ApproverKeyOf(byte[] signingKey) => HMACSHA256.HashData(signingKey, "cordon-approver-id"u8);

    /// <summary>The keyed approver id of <paramref name="address"/> under <paramref name="approverKey"/>: the first 128 bits, hex.</summary>
    internal static string ApproverId(byte[] approverKey, string address) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(approverKey, Encoding.UTF8.GetBytes("cordon-approver:" + Cordon.World.SubjectIdentity.Canonical(address))))[..ApproverIdLength];

    static bool IsKeyedId(string? id) => id is { Length: ApproverIdLength } && id.All(char.IsAsciiHexDigitLower);

    static byte[] DecodeKey(string value, string setting) =>
        KeyProblem(value, setting) is { } problem ? throw new InvalidOperationException(problem) : Convert.FromBase64String(value);

    /// <summary>Why <paramref name="value"/> cannot sign approval links, naming <paramref name="setting"/>; null when it can.</summary>
    public static string? KeyProblem(string? value, string setting)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return $"{setting} is not set: approval links cannot be signed. Set it to a base64 key of at least 32 bytes (Key Vault reference in Azure).";
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            return $"{setting} must be base64, a key of at least 32 bytes (is it an unresolved Key Vault reference?).";
        }

        return bytes.Length >= 32 ? null : $"{setting} must decode to at least 32 bytes (got {bytes.Length}).";
    }

    sealed record Payload(int V, string I, string G, string A, long E);
}
