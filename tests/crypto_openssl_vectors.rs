//! Independent test vectors: produced with the `openssl` command-line tool
//! (OpenSSL 3.0), not with corowire's own code, so decryption is checked
//! against a second implementation for every suite the lab captures do not
//! cover.
//!
//! How they were made (key: 256 bytes, byte i = (i*29 + 7) mod 256; the
//! salt is the IV; corosync 2 vectors use the first 128 key bytes for the
//! HMAC and start with `fefe0000`, which the HMAC covers):
//!
//! ```sh
//! openssl enc -aes-<128|192|256>-cbc -K <first 16|24|32 key bytes> -iv <salt> -in clear.bin
//! openssl dgst -<md5|sha1|sha256|sha384|sha512> -mac HMAC -macopt hexkey:<key> -binary signed.bin
//! # wire = [fefe0000] salt ciphertext hmac  (cipher none: [fefe0000] clear hmac)
//! ```

use corowire::wire::crypto::{AuthKey, CryptoSuite, Decryptor};

struct V {
    transport: &'static str,
    suite: &'static str,
    wire: &'static str,
    clear: &'static str,
}

const VECTORS: &[V] = &[
    V {
        transport: "knet",
        suite: "aes128/md5",
        wire: "030405060708090a0b0c0d0e0f101112f82de8f6d67900247974cc483a270a4d9a39bf63fa6316b3f2835dec674633cddb1aa6f771755a4e05e693e3bc6b69ea",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes192/md5",
        wire: "060708090a0b0c0d0e0f101112131415cb4031067f581765f1fc2fdaa45920f3bc8d73b638ad5d2420b0d03d2ae0b4b9d7b9936cd3b14f0a6baa6e31818d2edf",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes256/md5",
        wire: "090a0b0c0d0e0f101112131415161718c0cd5fdc2dbfa9fa6806f3fdf236c2258101f6eff96839bd89076be2d068ebac0b6161b2f99da6ca5a29d0de1ad30cb5",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "none/md5",
        wire: "01810001000000c301000000000000c71ee21a00000000000001a9915f0cdec2647c881725418ba8cc0f",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes128/md5",
        wire: "0f101112131415161718191a1b1c1d1e9085c2f6448f0f7276e4790e52de43cb4e4876fb241e6f2452d3c1be5e084fd018bb9f43afec5f95cb651ffc9734eb128eb739c5551e0296bd1bb36e0f4048bbf0d9db17522a16f29829148c9ced240a21a539b9bb5480db62e11dba3b7f8199",
        clear: "010000010000000400000001000070c003000001000000020000000000000000000000ffffffff0100000001000000090000000000000000000000000000000000000000000000",
    },
    V {
        transport: "knet",
        suite: "aes128/sha1",
        wire: "12131415161718191a1b1c1d1e1f2021409b4bce098c0b44cdab8e5e7d2232be224a19a4ade01701d7f53bd372a0c76f22ca088678e8efead1e72423fc2b3f646ec73f4c",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes192/sha1",
        wire: "15161718191a1b1c1d1e1f2021222324d6adc94ce0b32a9dfcd4bb69e3d9dc88bb4bca5b4faadb1822fbb2b8bfc8a3caee54bd212dfbd3a8a45e6a202020ce3390aba1ec",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes256/sha1",
        wire: "18191a1b1c1d1e1f2021222324252627d800fbddd8cb26d5c5d8f52b4fc0e9e4089225dd478866bce503d71135d4b173e01cfdae658400a257e4cf81503ee9f4a2a01ec2",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "none/sha1",
        wire: "01810001000000c301000000000000c71ee21a000000000000016b5671184a108bd95a8e51d0a5491dea9f285c93",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes128/sha1",
        wire: "1e1f202122232425262728292a2b2c2d2cfac2fac61b3346ddb0ec1930183cd00be227bfd94230740183c58e9870ddcf3eb5c6ba2d43fc072853f01ac8e38dd53c64445318e622a0814f776311185f15d7bce5cfd455d9514eaf6042cb262bc97546b0b5e233b8c4e9ed43beac4f5db2b6fa19c6",
        clear: "010000010000000400000001000070c003000001000000020000000000000000000000ffffffff0100000001000000090000000000000000000000000000000000000000000000",
    },
    V {
        transport: "knet",
        suite: "aes128/sha256",
        wire: "2122232425262728292a2b2c2d2e2f3032990482eced325243503ef6a87afb2cd062233a707f75832d54364f407be3acb7ad571d917cf2dfbcbd7de04fbcb3e9566f2592b85109268b053a79885d34b1",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes192/sha256",
        wire: "2425262728292a2b2c2d2e2f30313233ec154d9fd9c17c8643c8379e85f19bc17f2c357aa129d045ebe7d092f9852e7cd22894b568678f60df9b6e39300546b33946d822ac9ea8a87fed207616195c6e",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes256/sha256",
        wire: "2728292a2b2c2d2e2f30313233343536b5dfaa35a431c3e85197f7710c9118871c597c3dc3e65ddc55a255d8984413ba8f5b9bc7791e9ffcc9fa7aa8a54d53ac08c2ef080b6eb42e5ae0c81ac731709d",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "none/sha256",
        wire: "01810001000000c301000000000000c71ee21a00000000000001276dc676e658f34cf15431720d9787c1d637720bf1d17d373d2d09c0cb097a41",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes128/sha256",
        wire: "2d2e2f303132333435363738393a3b3cbd2c651adfdc70dec8a9e71bcd43ea39e1c302467efbcd33c5aa7e28aec7d36217f34746b75eef70d0de68ee00a120ad641d919d55caa991397700cf88eb1d32c0fafab68bec339fa4380757cf062869597066d1971537b1229534a5703f66ff1937e97f1d494c23efe09d97d1d6fa72",
        clear: "010000010000000400000001000070c003000001000000020000000000000000000000ffffffff0100000001000000090000000000000000000000000000000000000000000000",
    },
    V {
        transport: "knet",
        suite: "aes128/sha384",
        wire: "303132333435363738393a3b3c3d3e3f1cffd4ae7b17e48ea7d71c40239ccc4a92f6d81f701befa84ef208699a333165fdcbe92f050006f21cd5653189c52c4e15cc0747509da98fa7c07142d74421cfdc32dd51885c58d9010dcd394a1da285",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes192/sha384",
        wire: "333435363738393a3b3c3d3e3f40414217ff7e34c5fb2742cd25c7aef7aeaf1ad685677ca085c3783616c062181906a8b52c4047edcaba8cc13ceed06235d7976823d5daefe122d5fa6ca58c2cea4f3f52d92151f601abf5c377792c9dd8c0da",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes256/sha384",
        wire: "363738393a3b3c3d3e3f40414243444524794e4c126a2d813ad0006169a9c635f6d9a28cda95392636d3e4592028a0ebf6155c2f58290fe45a38b5a8a1b68884433eae1d6ba8902fa28e6277cc195a324df5874f921939c4f72de094f006a9e1",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "none/sha384",
        wire: "01810001000000c301000000000000c71ee21a00000000000001b7a862d2ff72e8c626b77f23697bb410e5a6b84beaa6243f99eaa43c89efbd4e1cfb4ede0b8ae60982f54f334fe74820",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes128/sha384",
        wire: "3c3d3e3f404142434445464748494a4b18e863bfbf579d7e9ef33a51ea0fd9cfef069b406bd29a4378e2532748fd6d8578a7361b7cc534f5a9d51d168c29193b51017bcfc18910fd0242505116af28c802188accf3024f2a8dab969831a42970c15158f2f7d31048b1a8b3b3b64603bdfac966ecb819d881bd6b5eb6e4eff667cfa6387f3df4e95e3ed31b61fca819e8",
        clear: "010000010000000400000001000070c003000001000000020000000000000000000000ffffffff0100000001000000090000000000000000000000000000000000000000000000",
    },
    V {
        transport: "knet",
        suite: "aes128/sha512",
        wire: "3f404142434445464748494a4b4c4d4e27d4e56ff33b6171af743d39d00aaf63156464be0e4ef36a3de1560bd99a0cd30fab5aa6b520ef8b8419e1c2e6e2530b0102d113128c0c0fbcfc9c02af4c65631f7a0a5e9b69ae52a3f9b554d59b6d99f52a1a1731875dae0148251c9fa49cde",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes192/sha512",
        wire: "42434445464748494a4b4c4d4e4f5051bb764c6881742ea193c179caab45f7c1d941af9d6bb41fe76d44c9959026af221adb2d86ea1181c0c771de49005a4f777c688841bf1e35a1b9c7b4ddbf4eae2f10c4a7638a31c2d536c44cb720d8b5c9b8d436ce015de809e11e4600f0f7bd0d",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes256/sha512",
        wire: "45464748494a4b4c4d4e4f5051525354521b37af4b7fb3a969166c1a28951187ef783976bee998f97ca826cf93221e0dd98e3fd2d9d7cfe3609d8c78d7daf8bc88a0d754925b3e11a1be6f3b2ce7c854bd126e697ddbac9a53030b2ffe9a4d5bd4e09d418fadb2fccb1b63c45ee98689",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "none/sha512",
        wire: "01810001000000c301000000000000c71ee21a00000000000001141cc048505264a8097968581cd7e66cf7bb30a8f66012cb469f13cde012493d18cb5e790d36a1103f3704c9d2116f0058da60fbcd2ff880605f71d1d02c2718",
        clear: "01810001000000c301000000000000c71ee21a00000000000001",
    },
    V {
        transport: "knet",
        suite: "aes128/sha512",
        wire: "4b4c4d4e4f505152535455565758595ac889d46e52700e8a130ddde55c4a6aef7c1a303cd1466c793bfdf3818e24611faf8e9c691c1ad44ea74e376c9bf7861e2e2fec598ac56955d0ebf094d05fd70db3ffa094b8017978339178d422fa03ded49d4b323dbc85ec489753ebf82762ee0a1f3f51bff51d3eb0651c5729e4a23f90ef952a11c87ea0c0530d1505d8a65a2d39ddc991c1bf278ce721630df3ab6e",
        clear: "010000010000000400000001000070c003000001000000020000000000000000000000ffffffff0100000001000000090000000000000000000000000000000000000000000000",
    },
    V {
        transport: "totemnet2",
        suite: "aes256/sha1",
        wire: "fefe00004e4f505152535455565758595a5b5c5dd0e9ecc2d12db49d63d6b1f94f3ce0b3ab5885742bd3515d343bcdbcf52a1f0abd064e569c15fcb89b8076dcf176454407d58c1d02073b1b48b1dd22b7f8757baf600e9c",
        clear: "050022ff01000000010000000a00000000000000000000000000000000000100000000000000",
    },
    V {
        transport: "totemnet2",
        suite: "aes128/md5",
        wire: "fefe00005152535455565758595a5b5c5d5e5f6043a0eef5480031484e7638dc312271778784c2b82e03e7ce5ac8aaf6a7f2e985eee06d0382043eddc5cf53105e524df003d4548a5bf9d4e07b7cda9f392356ba",
        clear: "050022ff01000000010000000a00000000000000000000000000000000000100000000000000",
    },
    V {
        transport: "totemnet2",
        suite: "aes192/sha512",
        wire: "fefe00005455565758595a5b5c5d5e5f60616263f34ab96e405b8e107ec86dde431e3872dc43fff45aa0df30fd4e7a36e496b4efd2164df6ce8fa12d0e9359197c0a07c8f5a4e44aa854bf057e13b9d84bccc5021992c9d1b1ae228d939471a4d2fb2df784dc44ea0b1a91cc92381376f546224c6ad244b29b6712e8f555b5989454abe5",
        clear: "050022ff01000000010000000a00000000000000000000000000000000000100000000000000",
    },
    V {
        transport: "totemnet2",
        suite: "aes256/sha256",
        wire: "fefe00005758595a5b5c5d5e5f606162636465669becc21cec9f857534483e45a8b3a5b08651ab127da7679cdd449a0de9043a1e1f09bf5ac7e1a0e27989df707e7c6702381162da42f3da71993d3c57f1d59147338b966e6fd060ae15b3f08b9597afa1",
        clear: "050022ff01000000010000000a00000000000000000000000000000000000100000000000000",
    },
    V {
        transport: "totemnet2",
        suite: "aes128/sha384",
        wire: "fefe00005a5b5c5d5e5f60616263646566676869b17914caa4be2e648a11a75e9b04adcaa7ec1374085930b591c2e37797ad258bf3bd7fdf871264aa254f09b448bf5db029e6eea29dba64548cdb5abea4ea1ad96ebbfa1dc01401cb2ffe3e3603d0bd9f1b2704791fa6c702109f37ee84bd1fe5",
        clear: "050022ff01000000010000000a00000000000000000000000000000000000100000000000000",
    },
    V {
        transport: "totemnet2",
        suite: "none/sha256",
        wire: "fefe0000050022ff01000000010000000a00000000000000000000000000000000000100000000000000fc75eed16e11b6501cdf294fda37d8f4cdcf3a46fa6f658fcace0810cbeb32ab",
        clear: "050022ff01000000010000000a00000000000000000000000000000000000100000000000000",
    },
    V {
        transport: "totemnet2",
        suite: "none/md5",
        wire: "fefe0000050022ff01000000010000000a00000000000000000000000000000000000100000000000000ddd12608d79a36ff94c9455b609014b4",
        clear: "050022ff01000000010000000a00000000000000000000000000000000000100000000000000",
    },
];

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn key() -> AuthKey {
    AuthKey::from_vec((0..256u32).map(|i| ((i * 29 + 7) % 256) as u8).collect()).unwrap()
}

#[test]
fn openssl_vectors_decrypt_with_known_and_guessed_suite() {
    let mut out = vec![0u8; 4096];
    let mut covered = Vec::new();
    for v in VECTORS {
        let suite: CryptoSuite = v.suite.parse().unwrap();
        let wire = hex(v.wire);
        let clear = hex(v.clear);
        for suites in [vec![suite], vec![]] {
            let mut d = Decryptor::new(&[key()], &suites);
            let c = match v.transport {
                "knet" => d.decrypt_knet(&wire, &mut out),
                _ => d.decrypt_totemnet2(&wire, &mut out),
            }
            .unwrap_or_else(|e| panic!("{} {}: {e}", v.transport, v.suite));
            assert_eq!(c.bytes, &clear[..], "{} {}", v.transport, v.suite);
            assert_eq!(c.suite, suite);
            assert_eq!(c.key_index, Some(0));
        }
        // One flipped bit anywhere: not authenticated.
        let mut bad = wire.clone();
        let last = bad.len() - 1;
        bad[last / 2] ^= 0x10;
        let mut d = Decryptor::new(&[key()], &[suite]);
        let r = match v.transport {
            "knet" => d.decrypt_knet(&bad, &mut out),
            _ => d.decrypt_totemnet2(&bad, &mut out),
        };
        assert!(r.is_err(), "{} {}", v.transport, v.suite);
        covered.push((v.transport, suite));
    }
    // Every knet suite corosync 3 accepts is covered.
    for s in CryptoSuite::all_knet() {
        assert!(covered.contains(&("knet", s)), "{s} not covered");
    }
}
