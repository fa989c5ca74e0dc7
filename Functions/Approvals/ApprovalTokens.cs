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

/// <summary>What a valid approval token carries.</summary>
public sealed record ApprovalClaims(string IncidentId, string GateId, string ApproverHash, DateTimeOffset ExpiresAt);

public enum TokenProblem { None, Malformed, BadSignature, Expired }

public sealed record TokenCheck(ApprovalClaims? Claims, TokenProblem Problem)
{
    public bool IsValid => Problem == TokenProblem.None;
}

/// <summary>
/// Signed approval links: base64url(payload) "." base64url(HMAC-SHA256(payload)). The payload holds
/// ids and an approver hash only. The orchestration stays the source of truth; a valid token only
/// proves who may ask, not that the gate is still open.
/// </summary>
public sealed class ApprovalTokens
{
    const int MaxTokenLength = 1024;
    static readonly long MinExpiry = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    static readonly long MaxExpiry = DateTimeOffset.MaxValue.ToUnixTimeSeconds();
    readonly byte[] key;
    readonly byte[]? previousKey;
    readonly DateTimeOffset? previousUntil;
    readonly TimeProvider time;

    public ApprovalTokens(IOptions<ApprovalOptions> options, TimeProvider time)
    {
        ApprovalOptions o = options.Value;
        key = DecodeKey(o.SigningKey, "Cordon:Approvals:SigningKey");
        previousKey = string.IsNullOrWhiteSpace(o.PreviousSigningKey) ? null : DecodeKey(o.PreviousSigningKey, "Cordon:Approvals:PreviousSigningKey");
        previousUntil = o.PreviousKeyValidUntil;
        this.time = time;
    }

    public string Create(ApprovalClaims claims)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(1, claims.IncidentId, claims.GateId, claims.ApproverHash, claims.ExpiresAt.ToUnixTimeSeconds()));
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
        bool signed = Matches(key, payload, signature) ||
            (previousKey is not null && (previousUntil is null || now <= previousUntil) && Matches(previousKey, payload, signature));
        if (!signed)
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

        if (p is null || p.V != 1 || string.IsNullOrEmpty(p.I) || string.IsNullOrEmpty(p.G) || string.IsNullOrEmpty(p.A)
            || p.E < MinExpiry || p.E > MaxExpiry)
        {
            return new TokenCheck(null, TokenProblem.Malformed);
        }

        var claims = new ApprovalClaims(p.I, p.G, p.A, DateTimeOffset.FromUnixTimeSeconds(p.E));
        return now > claims.ExpiresAt ? new TokenCheck(claims, TokenProblem.Expired) : new TokenCheck(claims, TokenProblem.None);
    }

    static bool Matches(byte[] key, byte[] payload, byte[] signature) =>
        CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), signature);

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
