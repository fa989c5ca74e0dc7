using System.Collections.Concurrent;
using Cordon.World;
using Microsoft.Extensions.Options;

namespace Cordon.Local.Connectors;

public sealed record SessionKillCall(string IdempotencyKey, string Body, bool SignatureValid, DateTimeOffset At);

/// <summary>
/// The client systems' session-kill endpoints on one machine (/sim/clients/{id}/session-kill): verifies
/// the signature, remembers idempotency keys, and acknowledges, so the whole containment path runs locally.
/// </summary>
public sealed class SimulatedClientSystems(IOptions<WebhookOptions> options, TimeProvider time)
{
    readonly ConcurrentDictionary<string, ConcurrentQueue<SessionKillCall>> calls = new(StringComparer.Ordinal);

    public IReadOnlyList<SessionKillCall> Kills(string clientId) => calls.TryGetValue(clientId, out var q) ? q.ToList() : [];

    public async Task<IResult> KillAsync(string clientId, HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        byte[] body = buffer.ToArray();
        bool valid = SignedWebhook.Verify(body, options.Value, request.Headers[SignedWebhook.SignatureHeader]);
        string key = request.Headers["Idempotency-Key"].ToString();
        calls.GetOrAdd(clientId, _ => new()).Enqueue(new SessionKillCall(key, System.Text.Encoding.UTF8.GetString(body), valid, time.GetUtcNow()));
        return valid ? Results.Ok(new { killed = true, idempotencyKey = key }) : Results.Unauthorized();
    }
}
