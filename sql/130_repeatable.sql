-- 130_repeatable: the switch to one file per function, trigger and view
-- (sql/README.md).
--
-- From here on a function's, a trigger's or a view's current text is its
-- file, sql/functions/NAME.sql, sql/triggers/NAME.sql or
-- sql/views/NAME.sql; script/migrate applies a file again when its SHA-256
-- differs from the one recorded below, or when its object is missing.  The
-- numbered migrations before this one keep their definitions (a database
-- made before the switch applied them); none after 131 defines one.
--
-- The rows below record the files as they were written from the schema
-- this migration follows, each identical in effect to what the migrations
-- before it left (tests/integ/migrate.test.js applies every file again and
-- compares pg_dump): neither a new database nor an upgraded one applies
-- them again until they change.
--
-- Applied by psql with ON_ERROR_STOP inside one transaction: no BEGIN/COMMIT.

CREATE TABLE schema_repeatable (
    name       text PRIMARY KEY CHECK (name ~ '^(functions|views|triggers)/[a-z][a-z0-9_]*\.sql$'),
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    applied_at timestamptz NOT NULL DEFAULT now());

COMMENT ON TABLE schema_repeatable IS
    'the files of sql/functions, sql/views and sql/triggers as script/migrate last applied them';

INSERT INTO schema_repeatable (name, sha256) VALUES
    ('functions/add_workdays.sql', 'afccdd4f2027dc0612832312925946e342d49b4ae117be06e5df411077e4e433'),
    ('functions/agreements_for.sql', 'd40cb6c30ca291084ca60df1cc8bbe4da972c48cdddedacf73010d1f4179dbac'),
    ('functions/audit_chain_head.sql', '69e57512cc4137bcdea6317cfdddd44b03906db6797fb2f40cc565d3679adbe4'),
    ('functions/audit_log_append_only.sql', '82e39db06895af50b461198b42c035e9eab60c22654033906cb00150a7b9cc55'),
    ('functions/audit_log_chain.sql', '7d2febe036445565e2dc6f7e40948b8eb0980cc72724fa261699053201ce2cd9'),
    ('functions/audit_marks_append_only.sql', 'ee361c7b6dff39313eba8e0abb3722b9f4adc7f720a6541a015577690cad6960'),
    ('functions/audit_row_hash.sql', '88ed04f51793b87bc4b3516019723a027efa45b28c063b21d6385454dec2a14a'),
    ('functions/audit_seals_append_only.sql', '9ccf9140c350dbc9a79ea43d127b0ec5960542e8ffc6ab6d39df0da75b50b986'),
    ('functions/bank_branch_grams_of.sql', '3c3e7055721700fc9861fba8dc3353310ecba1cca8eb8e1b92483e31d2733724'),
    ('functions/bank_branch_search.sql', 'b7f14a4008a6577cba530e6265be78191e7186761c449f7be1aeb6313717c347'),
    ('functions/bank_branches_grams.sql', '2656dbfad00594e43df4d4569e6ef5211d6b5fbc665e22bf6dec2c96a34eeef8'),
    ('functions/bank_branches_load.sql', 'f472f9cfc885c34a65749c807941ebebaf7624b8d11ffdbf44b96dc7884d3a8e'),
    ('functions/bank_grams.sql', '9bd98312eb67b54abf17a30062e0717d58f763507c88586395753f2e45f5d312'),
    ('functions/bank_heads_load.sql', '81bc582bfa8a0cc11fbc77967b3ff8b076d13f7aba84254f810ca3656e12e80e'),
    ('functions/bank_term_grams.sql', '40ad7eed8e129e7612d56c3dd4b4dcd6238ca224e0729977e6a24a13c7877204'),
    ('functions/beijing_day.sql', '1116cc2d445f838c931e7151f26e8e3e7b81de89d35100d205bdda2db193f7bf'),
    ('functions/cert_org_code.sql', '7dc7efd36c985f3c3f0a0bdb77a83f4c3d0b26723bd3cae56b4ace25832a7b36'),
    ('functions/cert_seal_orders.sql', 'd1800e44606566c6993f750595df83c7d4e6cfb32239fcfabf5bd938a4e25b61'),
    ('functions/certificates_order_keys.sql', '49d26f6f0c0477439940c2ecb21bc03df1a45fea1a002bf8ae3fa8f6ff4bc290'),
    ('functions/hall_file_upload.sql', 'dd3b064d7440d651841b7efd6a542b0c52f285031a008531394da15e452987a4'),
    ('functions/hall_files_removed.sql', 'd4133b6a9a46f4c1c9f637278d588bcdee7232c27404d2573a8d7a1c49a9d2c1'),
    ('functions/hall_order_apply.sql', '7ae269714b221e069bc8deaaf60d094a220aba0d286329e3cf85cfa2ff420f27'),
    ('functions/hall_order_apply_session.sql', 'f4214a422f4e5dd28e6ccb26744ea0d1104a888a20226bec9e7210b915499d11'),
    ('functions/is_workday.sql', '0b6e67637841627c1b189382aba56dc4556df733a31b924698a1cba225869847'),
    ('functions/login_client_blocked.sql', '1d4a0ea49ab8cb98977fcbd99a0c98d1602898fbe6046c371a37ef24e70b0475'),
    ('functions/login_client_failed.sql', '644031fe99874908838edac80dc7adee9eca2feb682f02042f6e8dc08d438f85'),
    ('functions/ocsp_cert_status.sql', 'f6be34edac983ee5d0c037f67c1d1c73c0d457006f85c891400f05f3fb65ab3d'),
    ('functions/order_counts_clear.sql', '3c54fa52089bd04b97bde00edab885fbf0bc763ecfd23ea4068b07d33ca4d8f3'),
    ('functions/order_counts_move.sql', 'a634c0157d97e25a9c02974849a71a548024307fbdcbe6f25da21de09ace7c95'),
    ('functions/order_counts_remove.sql', 'bcdb534c048051e50fd359d78b98af84c9646bf63a3f3a0fc3db008d2c1989b0'),
    ('functions/order_no_serial.sql', '3c980586e0eafb513c90e4fb78c0ee57be762ade8ab6430140b601d597c220ac'),
    ('functions/order_reached_bits.sql', '42d8c80bd803bc494cbfcce56243e44524ec9ab565309a4a3edf584008177d05'),
    ('functions/orders_added.sql', '2999433a3eca0bb4657bf8630022dc3a27eb6e41bd93957ac7a375081bc8c57e'),
    ('functions/orders_gift.sql', '0fc11b87e0dfa87f64724884d9cf10f3f221f6c7972011e5c9ac4eb94c604d14'),
    ('functions/orders_insert.sql', '0cbac87cd3e47ee85d11e5094c6445756557c779bbbacd1b95238c3a31bc6d9a'),
    ('functions/orders_reached.sql', 'bce2226e214532e4089a33327bbfad57fd3f20e0a002d057c5cba3a90d286de4'),
    ('functions/orders_row_ok.sql', 'd38913663de8e7521b481e80a747cb9a8d92255e6aee41f2a2c4fd08ab38fcda'),
    ('functions/outbox_notify.sql', '74700fa4bc4158a3ca8af21db257766e5fd3508e4c277a24c55f6b63bf802a0f'),
    ('functions/products_breakdown_ok.sql', 'b69ec221802b932e1e8e72d962d2e2517eea89a4579c396d9c1102006929b7a4'),
    ('functions/promotion_gift.sql', 'f3b1d8d5bc157d8796309fc03287606a81ee386ffbc0f240c62d974a80ee8472'),
    ('functions/ref_changed.sql', 'da5d98a000151c42ed643828bfe856c4aa3459caf904a46d45e0ee96d125505b'),
    ('functions/report_certs_src.sql', 'df962b547d342c71a23e825ed79372f0dfeddbf64dcef8b86e2ed6097b80ebbf'),
    ('functions/report_finauth_src.sql', '14d1bca0593d14b9cf6d5d5fff794e35ddb92e84b719814ed6578c4011beb71c'),
    ('functions/report_live_certs.sql', '2a0ef8f9410820e7bb774bfaaead9b90b736fbdce279ab3a663646968366392f'),
    ('functions/report_live_finauth.sql', '63a4701ea08c80086cb09c751d361197cc4edd3c592df6967483d9dc51e48751'),
    ('functions/report_live_money.sql', 'aaa10781ef5e3409eb67bd6eb310880c30abac939a82eacd469c3036eafa2db1'),
    ('functions/report_live_orders.sql', '6d72a41d6aa68d9fbf994ab99e74c82420d4a88679348ed816deb58897a3d9c6'),
    ('functions/report_live_review.sql', '9f86fe85d427e1bc0c8bcb2915442c5fcd81d32a4f10a2e140d8fd3ed44186e4'),
    ('functions/report_mark.sql', '74e85b18c955479c65f5cce75485a86b878c4875bdd09a98998899254d59d9b8'),
    ('functions/report_mark_certs.sql', '1c87289b9e1e08ec68d80b656aa4b9daf770ed4a0e2753033db60df9b036cd80'),
    ('functions/report_mark_finauth.sql', 'd3495d747acc65a615302b04b5f294879b1f2141d133d191911471eec53b535c'),
    ('functions/report_mark_orders.sql', '1fcd3ad9260110db4e4f294cff209fc1d9f46ea40123bed0a010c0d3a7ba47be'),
    ('functions/report_mark_payments.sql', '033df9fff3fea306a502b00a31cc4bc745714772a9731144d578b701dce789cf'),
    ('functions/report_mark_refunds.sql', 'd90953a213f312a1201d1357c9ff6bbec70a06e34738c0df89c134f1b3bb68f6'),
    ('functions/report_money_src.sql', 'cd4720cbefc33d84a43ccbee7b402fa51a56b20a21b9d8997ec1160cbb330c1b'),
    ('functions/report_orders_src.sql', 'ec7bca5364c92d99e25d1fefe00d8aad3f13f485c045802f16b3053ebc1865ed'),
    ('functions/report_review_src.sql', '8d810d9f2e685a2915d6c38088bc1f70584bd6ad1ac29ffb7c5158756392f82e'),
    ('functions/report_rollup_days.sql', 'e154ace59829ff4b750433156479c4bdd2bf8beac47dc1fed1b1fb93efed59dd'),
    ('functions/report_rollup_refresh.sql', 'cd775bbad7382610214b5837badfde3f5e04b58e14763d965ff188534a9ce197'),
    ('functions/report_src_sql.sql', '3401a371c07bd88b0c99bfdb33dbdc03a3fc537b7e95e39dcabe8d54402965e5'),
    ('functions/user_daily_uploads.sql', 'cfbc39ef8c8fde5fd95e24db1bd8822a2bbb04dce54f9eb929d0d896e6c42c88'),
    ('functions/user_today.sql', '0021acc30ecb48061db4af984084c16bcb174c3fba7d5dbb622a42c01c7785ce'),
    ('functions/workdays_between.sql', '8ac1a46b4609afb64a7f3eb06457fc55c4cb8ec4873c602d7f1afd974f757196'),
    ('views/report_certificates.sql', '42981c540435e25bb9b6255116d79b712991a4d86b0caa4250b5e58b970dd3f2'),
    ('views/report_money.sql', '6112428681e46a6b6bdc74f5ee56b32fdf3d1cdc82a6df6d6d061d014fd71673'),
    ('triggers/audit_log_chain.sql', '00e6cfd95d26ee7a1be0d205381d708c5297db67cbf4e104858dbe96470a15c8'),
    ('triggers/audit_log_no_truncate.sql', 'a30a42c3b62a4a9fbe59be3192fc43e0f2682bafda17f9cfe3f77a0a1de0c4fe'),
    ('triggers/audit_log_no_update.sql', 'a436dba98c3bdfce71cf90583263539471d2a1f43bf27cbc7173714573386230'),
    ('triggers/audit_marks_no_truncate.sql', 'ae9192c5aaac17d5779c50a9c1595f87c4f30f7ddcfff17e25e3ba1e66494f5a'),
    ('triggers/audit_marks_no_update.sql', 'bc2fc6393faf48626650ca3641f13f4ac68aae1ecda75b0d8b90fa24b68b0d4f'),
    ('triggers/audit_seals_no_truncate.sql', 'ba73864a2742cc4b02116ddfdad7f47da7e0c04eb56b26aaca02065000566568'),
    ('triggers/audit_seals_no_update.sql', 'afb7529c29fd9cb8c25b092c3d59b8c5af6c7bbb8427d6915855beb1737530a4'),
    ('triggers/bank_branches_grams.sql', '1cf133ee22c5a28a64239042ceb25e771b7299c9248fce65a97275e256a748bf'),
    ('triggers/bank_branches_ref.sql', 'e412c0f783c43c2f1596d016f7b0bd3ba644a2f98e363d1523acb454b93e9e4f'),
    ('triggers/banks_ref.sql', '7b82ec756931767ecb3d7dd3d771e4c77fd810f624a065ee40fc4e48db314e24'),
    ('triggers/certificates_order_keys.sql', '4d90c195a9ac74eace910d421d661685e2ffb4e3873328806a7c2a97f59defc8'),
    ('triggers/divisions_ref.sql', '23b2a031ad9e3626470dafac646bbe26aebb408bb8b24f8e32f3e29b6e010168'),
    ('triggers/order_counts_clear.sql', 'ef60375b4d40d065729e30464a202c50e993d5ca51c5b4e4a258eb20008b3758'),
    ('triggers/order_counts_move.sql', '1ff92923225573137d3930ac0053c55a57219851a90ec8818812770bffe6cf64'),
    ('triggers/order_counts_remove.sql', '1c1d896d1dcc8908a55472121c835e44a110405c68fbf236b1137b0b011bc3b6'),
    ('triggers/orders_added.sql', '3f5ebee19ec1b2a9cfb4b046c73a16e3b788777283cc3947eaeb43badd0db09e'),
    ('triggers/orders_gift.sql', '618700c35d5fef3dcbff9a62bb3afe433428b77879116c81b2b8cc771e6c25df'),
    ('triggers/orders_insert.sql', '8dfef80be47b62be648efa30067215b8559eb773d578d23c0deb5806434af713'),
    ('triggers/orders_reached.sql', 'bb07c4498263de95f9a2bf2f4c220551f3cde1d3ab1810cad60ab35d9e80328f'),
    ('triggers/outbox_notify.sql', '98f5ce32d9c4d3d66d823cdc3b08e469cbddf7df7e86fa47bee63f65c6faaafa'),
    ('triggers/partners_ref.sql', 'acaf14ec821f3ad9e52e16966594ad9a6bdfa8e8d80fbcd97ae7f2a7ef6b044c'),
    ('triggers/pay_merchants_ref.sql', '6ea07d9fcdca0043675f2e5ddf26e43e67759d7b05202d649a76c8bf859baf2f'),
    ('triggers/products_ref.sql', 'c7ea970d73ac462c1b358cd40270af358e60144879cff0129cbaa3dcedc6ae34'),
    ('triggers/report_mark_certs.sql', 'e8f935b977801e29a7a4bbd600b34abb14c33ccb7cb072acc8f90ced0eaae78b'),
    ('triggers/report_mark_certs_update.sql', 'd9d81d35c31bb16d37910b4c46756f83203ce0cdde26214c950dbe6704b7e927'),
    ('triggers/report_mark_finauth.sql', '8cac10894026ca05e3e2531cf8e7b0b871b97598d3a3a529e34fab22b2ae3b2d'),
    ('triggers/report_mark_finauth_update.sql', '96c095d99a3b83d319c056d197e3cc57293a089ada1cae5fd56fe8789796c095'),
    ('triggers/report_mark_orders.sql', '737e047749763bc61e8e4973deb2361855f250efef2163fda40c66c92e2a944e'),
    ('triggers/report_mark_orders_delete.sql', 'bc645fef3436f0f6503770a82fbd46c92e031c1a271ebc11903e8a163630dbf7'),
    ('triggers/report_mark_orders_update.sql', '750b7152181f09a75ae50a76de401ec5c318748e02faf079d677028d4de087f0'),
    ('triggers/report_mark_payments.sql', 'f7b9c36f39b9780be77e6a4064bcfd66e75640c9fcaa87292841099ce3367b3f'),
    ('triggers/report_mark_payments_update.sql', '21a346de63f1850247c0adcf830d0fbed4ead8d7afff2534df73e31a404ae254'),
    ('triggers/report_mark_refunds.sql', 'be3d9f94a88ecce9e5821adfa702d9e93c97255c68c1c63f25e13103c7a36022'),
    ('triggers/report_mark_refunds_update.sql', '607691212895aa9c97aa0ae50e4ced3838d6c147e2042a621e9349bd9f6aaa8a'),
    ('triggers/user_daily_uploads.sql', '895adecead6b001e089eedf5ffe04cb27038603932d52223e3c6925c18747bbe');
