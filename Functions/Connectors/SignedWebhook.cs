using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Cordon.Connectors;

public sealed class WebhookOptions
{
    public const string Section = "Cordon:Webhooks";

    /// <summary>HMAC-SHA256 key (base64) for the X-Cordon-Signature header; a Key Vault reference in Azure.</summary>
    public string SigningKey { get; set; } = "";
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
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(body, World.Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(json) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        request.Headers.Add("X-Cordon-Signature", "sha256=" + Sign(json, options.Value.SigningKey));
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

    public static string Sign(byte[] body, string base64Key)
    {
        byte[] key = string.IsNullOrEmpty(base64Key) ? [] : Convert.FromBase64String(base64Key);
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, body));
    }

    public static bool Verify(byte[] body, string base64Key, string? header) =>
        header is not null && header.StartsWith("sha256=", StringComparison.Ordinal) &&
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(header[7..]), Encoding.ASCII.GetBytes(Sign(body, base64Key)));
}
