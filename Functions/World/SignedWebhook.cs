using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cordon.World;

public sealed class WebhookOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:Webhooks";

    /// <summary>HMAC-SHA256 key (base64, at least 32 bytes) for the X-Cordon-Signature header; a Key Vault reference in Azure.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>
    /// The key before the last rotation (base64), while receivers move over: deliveries carry a second signature
    /// made with it, and verification accepts either. Remove it once every receiver has the new key.
    /// </summary>
    public string? PreviousSigningKey { get; set; }

    public const int MinKeyBytes = 32;

    /// <summary>Problems with the keys, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        CheckKey(SigningKey, $"{Section}:SigningKey", required: true, problems);
        CheckKey(PreviousSigningKey, $"{Section}:PreviousSigningKey", required: false, problems);
        return problems;
    }

    static void CheckKey(string? value, string setting, bool required, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                problems.Add($"{setting} is not set: webhooks to clients (session kill, notices) cannot be signed. Set it to a random base64 key of at least {MinKeyBytes} bytes (a Key Vault secret in Azure).");
            }

            return;
        }

        Span<byte> buffer = new byte[value.Length];
        if (!Convert.TryFromBase64String(value.Trim(), buffer, out int length))
        {
            problems.Add($"{setting} is not base64.");
        }
        else if (length < MinKeyBytes)
        {
            problems.Add($"{setting} is {length} bytes; at least {MinKeyBytes} random bytes are required.");
        }
    }
}

public sealed record WebhookResult(bool Delivered, int StatusCode, DateTime At, string Detail);

/// <summary>
/// Posts a JSON body to a client's endpoint, signed (X-Cordon-Signature: sha256=HMAC of the body)
/// and with an Idempotency-Key, so the receiver can verify it and ignore a retried delivery.
/// Retries with back-off and Retry-After come from the resilience handler on the named client.
/// </summary>
public sealed class SignedWebhook(IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider time)
{
    public const string ClientName = "cordon-webhooks";

    public async Task<WebhookResult> PostAsync(string url, object body, string idempotencyKey, CancellationToken cancellationToken)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(body, CordonJson.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(json) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        request.Headers.Add(SignatureHeader, Signatures(json, options.Value));
        try
        {
            using HttpResponseMessage response = await clients.CreateClient(ClientName).SendAsync(request, cancellationToken);
            DateTime at = time.GetUtcNow().UtcDateTime;
            return response.IsSuccessStatusCode
                ? new WebhookResult(true, (int)response.StatusCode, at, $"acknowledged with {(int)response.StatusCode}")
                : new WebhookResult(false, (int)response.StatusCode, at, $"answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException)
        {
            return new WebhookResult(false, 0, time.GetUtcNow().UtcDateTime, $"unreachable: {ex.Message}");
        }
    }

    public const string SignatureHeader = "X-Cordon-Signature";

    /// <summary>The header value: <c>sha256=HEX</c>, and during a key rotation <c>, sha256=HEX</c> with the previous key.</summary>
    public static string Signatures(byte[] body, WebhookOptions keys) =>
        string.IsNullOrWhiteSpace(keys.PreviousSigningKey)
            ? "sha256=" + Sign(body, keys.SigningKey)
            : $"sha256={Sign(body, keys.SigningKey)}, sha256={Sign(body, keys.PreviousSigningKey)}";

    /// <summary>True when any signature in the header matches the body under the current or the previous key.</summary>
    public static bool Verify(byte[] body, WebhookOptions keys, string? header)
    {
        if (header is null)
        {
            return false;
        }

        foreach (string signature in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (Verify(body, keys.SigningKey, signature) || (!string.IsNullOrWhiteSpace(keys.PreviousSigningKey) && Verify(body, keys.PreviousSigningKey, signature)))
            {
                return true;
            }
        }

        return false;
    }

    public static string Sign(byte[] body, string base64Key)
    {
        byte[] key = string.IsNullOrEmpty(base64Key) ? [] : Convert.FromBase64String(base64Key);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, body));
    }

    public static bool Verify(byte[] body, string base64Key, string? header) =>
        header is not null && header.StartsWith("sha256=", StringComparison.Ordinal) &&
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(header[7..]), Encoding.ASCII.GetBytes(Sign(body, base64Key)));
}
