namespace Cordon.Tests;

/// <summary>
/// Polls until a value satisfies a condition: the engine, the hosts and the wire fakes answer asynchronously.
/// A timeout says what was awaited and the last value seen, so a red test explains itself.
/// </summary>
public static class Eventually
{
    static readonly TimeSpan DefaultEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>Reads until <paramref name="done"/> holds and returns that value; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string awaited,
        Func<T, string>? describe = null, TimeSpan? every = null)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            T value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow >= deadline)
            {
                string seen = describe is null ? value?.ToString() ?? "null" : describe(value);
                throw new TimeoutException($"waited {timeout.TotalSeconds:0.#} s for {awaited}; last seen: {seen}");
            }

            await Task.Delay(every ?? DefaultEvery);
        }
    }

    /// <inheritdoc cref="Until{T}(Func{Task{T}}, Func{T, bool}, TimeSpan, string, Func{T, string}?, TimeSpan?)"/>
    public static Task<T> Until<T>(Func<T> read, Func<T, bool> done, TimeSpan timeout, string awaited,
        Func<T, string>? describe = null, TimeSpan? every = null) =>
        Until<T>(() => Task.FromResult(read()), done, timeout, awaited, describe, every);

    /// <summary>Reads until it finds something (a non-null value) and returns it.</summary>
    public static async Task<T> Found<T>(Func<Task<T?>> read, TimeSpan timeout, string awaited, Func<string>? describe = null, TimeSpan? every = null)
        where T : class =>
        (await Until<T?>(read, v => v is not null, timeout, awaited, describe is null ? null : _ => describe(), every))!;

    /// <inheritdoc cref="Found{T}(Func{Task{T}}, TimeSpan, string, Func{string}?, TimeSpan?)"/>
    public static Task<T> Found<T>(Func<T?> read, TimeSpan timeout, string awaited, Func<string>? describe = null, TimeSpan? every = null)
        where T : class =>
        Found(() => Task.FromResult(read()), timeout, awaited, describe, every);
}
