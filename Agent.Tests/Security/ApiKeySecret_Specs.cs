using Agent.Persistence.ApiKeys;

namespace Agent.Tests.Security;

[TestFixture]
public sealed class When_api_keys_are_made_and_checked
{
    [Test]
    public void Should_carry_the_key_id_and_match_only_its_own_hash()
    {
        var keyId = Guid.CreateVersion7();
        var key = ApiKeySecret.Create(keyId);
        var other = ApiKeySecret.Create(keyId);
        var hash = ApiKeySecret.Hash(key);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(key, Has.Length.EqualTo(ApiKeySecret.KeyLength).And.StartWith("agk_"));
            Assert.That(ApiKeySecret.TryGetKeyId(key, out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(keyId));
            Assert.That(other, Is.Not.EqualTo(key), "each key has its own random secret");
            Assert.That(hash, Has.Length.EqualTo(32), "SHA-256");
            Assert.That(ApiKeySecret.Matches(key, hash), Is.True);
            Assert.That(ApiKeySecret.Matches(other, hash), Is.False, "same key id, different secret");
            Assert.That(ApiKeySecret.Matches(key[..^1] + (key[^1] == 'a' ? 'b' : 'a'), hash), Is.False, "one character changed");
        }
    }

    [TestCase("")]
    [TestCase("agk_")]
    [TestCase("sk-0123456789abcdef0123456789abcdef")]
    [TestCase("agk_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz_0123456789012345678901234567890123456789012")]
    [TestCase("agk_0123456789abcdef0123456789abcdef-0123456789012345678901234567890123456789012")]
    [TestCase("agk_0123456789abcdef0123456789abcdef_012345678901234567890123456789012345678901")]
    public void Should_not_find_a_key_id_in_text_of_another_form(string text) =>
        Assert.That(ApiKeySecret.TryGetKeyId(text, out _), Is.False);

    [TestCase("read", new[] { "read" })]
    [TestCase("write read,read", new[] { "read", "write" })]
    [TestCase(" admin , write ", new[] { "write", "admin" })]
    public void Should_parse_scopes_into_canonical_order(string text, string[] expected)
    {
        var (scopes, error) = ApiKeyScopes.Parse(text);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.Null);
            Assert.That(scopes, Is.EqualTo(expected));
        }
    }

    [TestCase("", "at least one scope")]
    [TestCase("read root", "unknown scope 'root'")]
    [TestCase("READ", "unknown scope 'READ'")]
    public void Should_refuse_unknown_or_missing_scopes(string text, string reason) =>
        Assert.That(ApiKeyScopes.Parse(text).Error, Does.Contain(reason));
}
