using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Agent.Persistence.ApiKeys;

/// <summary>
/// Makes, parses and hashes API keys of the form <c>agk_{key_id:N}_{secret}</c>: the key id (32 hex digits) finds
/// the row, the secret (32 random bytes, base64url, 43 characters) proves possession.
/// </summary>
/// <remarks>
/// <para>
/// Stored as SHA-256 of the whole key text, compared with <see cref="CryptographicOperations.FixedTimeEquals"/>.
/// A slow password hash (PBKDF2, bcrypt, Argon2) exists to make guessing low-entropy passwords expensive; these
/// keys carry 256 random bits, so guessing is hopeless at any hash speed, while a slow hash would cost tens of
/// milliseconds of CPU on every request. GitHub and Stripe tokens are handled the same way.
/// </para>
/// <para>The key id in the key makes revocation and rate limiting per key possible without ever storing the secret.</para>
/// </remarks>
public static class ApiKeySecret
{
    /// <summary>The prefix of every key this server issues (<c>agk_</c>, "agent key"), so leaked keys are easy to scan for.</summary>
    public const string Prefix = "agk_";

    /// <summary>The longest key name, in characters.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The length of an issued key, in characters: prefix, 32 hex digits, underscore, 43 base64url characters.</summary>
    public const int KeyLength = 4 + 32 + 1 + 43;

    /// <summary>The random bytes of a secret: 32 (256 bits).</summary>
    public const int SecretBytes = 32;

    /// <summary>Makes a new key for <paramref name="keyId"/>.</summary>
    /// <param name="keyId">The key id.</param>
    /// <returns>The key text, e.g. <c>agk_0193...e1_Zm9v...</c> (<see cref="KeyLength"/> characters).</returns>
    public static string Create(Guid keyId) =>
        $"{Prefix}{keyId:N}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes))}";

    /// <summary>Reads the key id out of a presented key.</summary>
    /// <param name="key">The key text.</param>
    /// <param name="keyId">The key id, when the text has the form of an issued key.</param>
    /// <returns><see langword="true"/> when the text has the form of an issued key.</returns>
    public static bool TryGetKeyId(string key, out Guid keyId)
    {
        keyId = Guid.Empty;
        return key.Length == KeyLength
               && key.StartsWith(Prefix, StringComparison.Ordinal)
               && key[Prefix.Length + 32] == '_'
               && Guid.TryParseExact(key.AsSpan(Prefix.Length, 32), "N", out keyId);
    }

    /// <summary>Hashes a key for storage and comparison.</summary>
    /// <param name="key">The key text.</param>
    /// <returns>SHA-256 of its UTF-8 bytes (32 bytes).</returns>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Compares a presented key with a stored hash in constant time.</summary>
    /// <param name="key">The presented key text.</param>
    /// <param name="storedHash">The stored hash.</param>
    /// <returns><see langword="true"/> when they match.</returns>
    public static bool Matches(string key, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(key), storedHash);
}
