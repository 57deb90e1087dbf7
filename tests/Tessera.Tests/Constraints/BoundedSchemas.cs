// Twenty JSON schemas whose every instance is short: what the random-weight tiny model must fill in, and what the
// mask benchmark measures. Each exercises a part of the compiler (nesting, arrays with maxItems, enums, anyOf, $ref,
// bounded integers, strings with maxLength, escapes and unicode, formats, patterns).

namespace Tessera.Tests.Constraints;

internal static class BoundedSchemas
{
    public static readonly (string Name, string Schema)[] All =
    [
        ("person", """{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"],"additionalProperties":false}"""),
        ("nested", """{"type":"object","properties":{"person":{"type":"object","properties":{"name":{"type":"string","minLength":2,"maxLength":8},"address":{"type":"object","properties":{"city":{"type":"string","maxLength":10},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["city","zip"]}},"required":["name","address"]}},"required":["person"]}"""),
        ("int-array", """{"type":"array","items":{"type":"integer","minimum":-50,"maximum":50},"minItems":1,"maxItems":5}"""),
        ("enums", """{"type":"object","properties":{"color":{"enum":["red","green","blue"]},"size":{"enum":[1,2.5,null,true,"x\"y"]}},"required":["color","size"]}"""),
        ("any-of", """{"type":"object","properties":{"value":{"anyOf":[{"type":"integer","minimum":0,"maximum":9},{"type":"string","maxLength":5},{"type":"null"}]}},"required":["value"]}"""),
        ("refs", """{"$defs":{"point":{"type":"object","properties":{"x":{"type":"integer","minimum":-10,"maximum":10},"y":{"type":"integer","minimum":-10,"maximum":10}},"required":["x","y"]}},"type":"object","properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/$defs/point"}},"required":["from","to"]}"""),
        ("escapes-unicode", """{"type":"object","properties":{"text":{"type":"string","minLength":1,"maxLength":20},"note":{"type":"string","maxLength":6}},"required":["text","note"]}"""),
        ("bool-null", """{"type":"object","properties":{"ok":{"type":"boolean"},"nothing":{"type":"null"}},"required":["ok","nothing"]}"""),
        ("optional", """{"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":5},"b":{"type":"string","maxLength":3},"c":{"type":"boolean"}},"required":["b"]}"""),
        ("object-array", """{"type":"object","properties":{"items":{"type":"array","maxItems":3,"items":{"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":1000},"tag":{"enum":["new","old","éé"]}},"required":["id","tag"]}}},"required":["items"]}"""),
        ("const", """{"type":"object","properties":{"version":{"const":"1.0"},"kind":{"const":7},"meta":{"const":{"a":[1,2]}}},"required":["version","kind","meta"]}"""),
        ("number-bounds", """{"type":"object","properties":{"ratio":{"type":"number","minimum":0,"maximum":1},"temp":{"type":"number","exclusiveMinimum":-40,"exclusiveMaximum":60.5}},"required":["ratio","temp"]}"""),
        ("type-union", """{"type":"object","properties":{"v":{"type":["integer","null"],"minimum":0,"maximum":99},"w":{"type":["string","boolean"],"maxLength":4}},"required":["v","w"]}"""),
        ("formats", """{"type":"object","properties":{"day":{"type":"string","format":"date"},"id":{"type":"string","format":"uuid"},"at":{"type":"string","format":"date-time"}},"required":["day","id","at"]}"""),
        ("pattern", """{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{2,4}$"},"word":{"type":"string","pattern":"^(yes|no|maybe)\\.?$"}},"required":["code","word"]}"""),
        ("deep", """{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":{"c":{"type":"object","properties":{"d":{"enum":["x","y"]}},"required":["d"]}},"required":["c"]}},"required":["b"]}},"required":["a"]}"""),
        ("string-array", """{"type":"array","items":{"type":"string","maxLength":6},"minItems":2,"maxItems":4}"""),
        ("shapes", """{"anyOf":[{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"integer","minimum":1,"maximum":10}},"required":["kind","r"]},{"type":"object","properties":{"kind":{"const":"square"},"side":{"type":"integer","minimum":1,"maximum":10}},"required":["kind","side"]}]}"""),
        ("enum-array", """{"type":"array","items":{"enum":["a","b","c"]},"maxItems":3}"""),
        ("wide-integers", """{"type":"object","properties":{"n":{"type":"integer","minimum":-1000000,"maximum":123456789},"m":{"type":"integer","exclusiveMinimum":7,"maximum":12}},"required":["n","m"]}"""),
        ("root-ref", """{"$ref":"#/$defs/item","$defs":{"item":{"type":"object","properties":{"name":{"type":"string","maxLength":5},"tags":{"type":"array","items":{"$ref":"#/$defs/tag"},"maxItems":2}},"required":["name","tags"]},"tag":{"enum":["t1","t2"]}}}"""),
    ];

    /// <summary>The largest of them, with many properties: what the mask benchmark reports.</summary>
    public const string Largest = """
        {"type":"object","properties":{
          "id":{"type":"string","format":"uuid"},
          "name":{"type":"string","minLength":1,"maxLength":40},
          "email":{"type":"string","pattern":"^[a-z0-9.]{1,20}@[a-z]{2,10}\\.(com|org|net)$"},
          "age":{"type":"integer","minimum":0,"maximum":150},
          "score":{"type":"number","minimum":-1000,"maximum":1000},
          "active":{"type":"boolean"},
          "role":{"enum":["admin","editor","viewer","guest"]},
          "address":{"type":"object","properties":{"street":{"type":"string","maxLength":30},"city":{"type":"string","maxLength":20},"zip":{"type":"string","pattern":"^[0-9]{5}$"},"country":{"enum":["US","FR","DE","JP","BR"]}},"required":["street","city","zip","country"]},
          "tags":{"type":"array","items":{"type":"string","maxLength":12},"maxItems":5},
          "history":{"type":"array","maxItems":3,"items":{"type":"object","properties":{"date":{"type":"string","format":"date"},"event":{"type":"string","maxLength":24},"amount":{"type":["integer","null"],"minimum":0,"maximum":100000}},"required":["date","event","amount"]}},
          "preferences":{"type":"object","properties":{"theme":{"enum":["light","dark"]},"language":{"type":"string","maxLength":5},"notifications":{"type":"boolean"}},"required":["theme","language","notifications"]},
          "notes":{"anyOf":[{"type":"string","maxLength":60},{"type":"null"}]}
        },"required":["id","name","email","age","score","active","role","address","tags","history","preferences","notes"]}
        """;
}
