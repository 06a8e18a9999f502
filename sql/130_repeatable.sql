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
    ('functions/add_workdays.sql', '1b827fab17a0f9bcde44b8751e9cd199e0885388aaff31b8f9504d4bd112b9bc'),
    ('functions/agreements_for.sql', 'd40cb6c30ca291084ca60df1cc8bbe4da972c48cdddedacf73010d1f4179dbac'),
    ('functions/audit_chain_head.sql', '69e57512cc4137bcdea6317cfdddd44b03906db6797fb2f40cc565d3679adbe4'),
    ('functions/audit_log_append_only.sql', '75172ab92295c39440d46ff50411e86f16835f365dae7e908b68ee3ce4e4e9be'),
    ('functions/audit_log_chain.sql', '469662e66359b4d84e2874935202427d59d88469876cb12ff78487069cd1d174'),
    ('functions/audit_marks_append_only.sql', '9fa914fb6b46d4ed22c91bb7901a0b6a90c7e5ca2c232f448745c14677465dbf'),
    ('functions/audit_row_hash.sql', '0fec4c98e8d96a2ffb8de4efa8d721454d75d9d77f92fbd287f0956d5b4cce17'),
    ('functions/audit_seals_append_only.sql', '00b1657fbd39903d6c59dcfe2610b0254d7a51e9980f3baec7f96901a323eb72'),
    ('functions/bank_branch_grams_of.sql', 'd778b8ec625450404393fbb2529e4a83569c237e0f851ada06c1f4a237c8c9f4'),
    ('functions/bank_branch_search.sql', 'ad240743f0a5ddb0be39890bd6729e55faa0e3eb2363bd9e7ec8a44e0272f334'),
    ('functions/bank_branches_grams.sql', '95835fa67f77d06e45de97a0c4c3dffe3add60f8eb95233471628e3ef9e48204'),
    ('functions/bank_branches_load.sql', 'f472f9cfc885c34a65749c807941ebebaf7624b8d11ffdbf44b96dc7884d3a8e'),
    ('functions/bank_grams.sql', '9bd98312eb67b54abf17a30062e0717d58f763507c88586395753f2e45f5d312'),
    ('functions/bank_heads_load.sql', '81bc582bfa8a0cc11fbc77967b3ff8b076d13f7aba84254f810ca3656e12e80e'),
    ('functions/bank_term_grams.sql', '40ad7eed8e129e7612d56c3dd4b4dcd6238ca224e0729977e6a24a13c7877204'),
    ('functions/beijing_day.sql', '1116cc2d445f838c931e7151f26e8e3e7b81de89d35100d205bdda2db193f7bf'),
    ('functions/cert_org_code.sql', '803f04e37e8ca3d29033c50217dffb22713b321a8910e450f611617792e70d54'),
    ('functions/cert_seal_orders.sql', 'd1800e44606566c6993f750595df83c7d4e6cfb32239fcfabf5bd938a4e25b61'),
    ('functions/certificates_order_keys.sql', 'c6e9640cb31f631981c714456ba982e729b7ffc2dd52af6a63a2f1fda03e6910'),
    ('functions/hall_file_upload.sql', 'a1bb28eb926383f12591853a5ce214fab115b3251a2b77bf3d89b4a87a28ed54'),
    ('functions/hall_files_removed.sql', 'd7d48a995ca199d7f0923eceb621d67e8b18bdf631a431bfc3fc39683879357d'),
    ('functions/hall_order_apply.sql', 'faf9559df202b59f59102edd9ad36501a182f442568d23bccce3c4a90f12d210'),
    ('functions/hall_order_apply_session.sql', 'e8696e091b6df3b059884ef820254fbac20a386c5ada4b8d149f6d47121fbb3b'),
    ('functions/is_workday.sql', '6b0fa97055b20560fb60bec68156071c8f2b68eab7225b3f366760771cb67f71'),
    ('functions/login_client_blocked.sql', '2ef685a523d29a8148da8748d57569c627be9b333bba1323d0d1dbdf50c8e23c'),
    ('functions/login_client_failed.sql', '2afaf4c4b7a396094cf59c2749d910265ef1e64dff90e7a872393f3c4a41d247'),
    ('functions/ocsp_cert_status.sql', 'd0182daadcacd1578d0e2954f5b59189d72bf7f040e0de0df123300688b97b6b'),
    ('functions/order_counts_clear.sql', '3b90f93eb3440563826aaa00e102507a689b0f7decfc1daa50e2586a3e1304ea'),
    ('functions/order_counts_move.sql', 'a634c0157d97e25a9c02974849a71a548024307fbdcbe6f25da21de09ace7c95'),
    ('functions/order_counts_remove.sql', '37b68974c06748540f8376d7b1df6276509c0bdf755a99b5ced10baf33393808'),
    ('functions/order_no_serial.sql', '54d456655b846781426238f0aabe5a521092bff9f318c162d50c50564d863f80'),
    ('functions/order_reached_bits.sql', '42d8c80bd803bc494cbfcce56243e44524ec9ab565309a4a3edf584008177d05'),
    ('functions/orders_added.sql', '955828e47fb269bb851ff8a6b0a8e0f22d997718201eed1510990664fc28ddc3'),
    ('functions/orders_gift.sql', '3ea5280ec0e1584b912efc7a7e22c2f9ac3704ac6585747702a6bc2ca9aebef8'),
    ('functions/orders_insert.sql', '86b9d30339109a496aefddb673671445a233918ad6166f6622d4a008395f085f'),
    ('functions/orders_reached.sql', '8bb5469cff8266b8a8bb30e740080972802bb57d8a7188f73f753b206d79612f'),
    ('functions/orders_row_ok.sql', '7f0cd68e3bd8005b3787028966ba0bff25248955cb2f6db8815b665de86a5eb2'),
    ('functions/outbox_notify.sql', '1ecdb1f720281b94573baf218ead14011f7f20a411c0698a4184677aec5bdaaa'),
    ('functions/products_breakdown_ok.sql', 'b69ec221802b932e1e8e72d962d2e2517eea89a4579c396d9c1102006929b7a4'),
    ('functions/promotion_gift.sql', '913e5cb7bed50dbff690acd84df6244ff34adb11d71baafaedd066cf5df6a6f6'),
    ('functions/ref_changed.sql', 'db88008eb83068a3203cec10229fbbaa5c24a6c52b5785c821c63915dff65c95'),
    ('functions/report_certs_src.sql', 'df962b547d342c71a23e825ed79372f0dfeddbf64dcef8b86e2ed6097b80ebbf'),
    ('functions/report_finauth_src.sql', 'a413e119440ef6fd6f05de84c1b81a32134456528803567ef1e3f9599ddf9c82'),
    ('functions/report_live_certs.sql', '7b2d19484eb7ed03f927edd2bbeb095d596f0e1a8def209047d1b238ad9adb42'),
    ('functions/report_live_finauth.sql', '59b31e70376f656e870e234f8e5e13eb3c72805af6126f438fdd2aacdf9df1e3'),
    ('functions/report_live_money.sql', 'd0f2116e0487aa4f5ee99bddc4c0882163f10f223e4fa3c7a77e7b42e06ca275'),
    ('functions/report_live_orders.sql', 'eb869b34f2a7d5b04c908489aab9c29047f827e9607fdf10460c2c8f3c125fac'),
    ('functions/report_live_review.sql', 'fac852a66ae41058cd8203452bed5e63902708ec395bf9185357782f89e57af7'),
    ('functions/report_mark.sql', '9030e1c357030062b30377c78e1813e7ebdb26d8de212cd4f93bca9eb404fe95'),
    ('functions/report_mark_certs.sql', '5218f441605501becfb182dcba76640b0031203ec4e9c0b98460bb80f9625d54'),
    ('functions/report_mark_finauth.sql', 'b91a53dccf46668f5790f851a9ac1968c51a44a6c61c2253c698c4f62d653819'),
    ('functions/report_mark_orders.sql', '6b8fafd1671ce69d9f1fd7f5b6f282d4142349ecd6ee0517cae04aea86f03434'),
    ('functions/report_mark_payments.sql', '316806844b8a2673eef84d956b53154491e9bca755ebb14e4573c967e74d60f8'),
    ('functions/report_mark_refunds.sql', '40c2db79188d2555c0345aa8fe15fd4ed741667ce4316aa479dbd0c2920b7057'),
    ('functions/report_money_src.sql', '1e3195653d432192154575ca2492f96f44d7d0e9e4296b2172607ccf6321a455'),
    ('functions/report_orders_src.sql', '8c96debb70fa5572a40c1dd3d509d7e7f0d6174e37c3c2ebdcb5e426f7577ed9'),
    ('functions/report_review_src.sql', '5c90b2628bfca8bcea7331de87a3bafc98b0fe48f6aeec75903a3d50565e9639'),
    ('functions/report_rollup_days.sql', 'f4c7c6a8dbe3ca6249b87411b3b93e0b6ec59504850bf3e86399637e4154cc8d'),
    ('functions/report_rollup_refresh.sql', 'f12eadfa3d094281e35dd1a2a2da092aa6ba13ad6210e1bc2d296da8c8a96406'),
    ('functions/report_src_sql.sql', '3401a371c07bd88b0c99bfdb33dbdc03a3fc537b7e95e39dcabe8d54402965e5'),
    ('functions/user_daily_uploads.sql', 'fb295ec97feee0d199f8166a3fd975ee36223765c7a7d1947de26252aebe66cb'),
    ('functions/user_today.sql', '0d9a753d2804226d1a43308a9906f5be16c68fc7ed7e327e6e8cf85b66d796cc'),
    ('functions/workdays_between.sql', '8ac1a46b4609afb64a7f3eb06457fc55c4cb8ec4873c602d7f1afd974f757196'),
    ('views/report_certificates.sql', 'b6a3e44a8103069ac3d563e4ab304fc83957ca7d7e85d2ee5a46f70ecef7f31e'),
    ('views/report_money.sql', '614b6e0006c9e6c4ee661ecabd264fc640d3fc95a1deeca84355a4d21674781c'),
    ('triggers/audit_log_chain.sql', '2f5e92847d09e52d7213b54127ae9d629ef892cc56458e9292546a2e61a5383c'),
    ('triggers/audit_log_no_truncate.sql', '84f9b1085d0ec749221f931b539835b4d1d98e05e1d168339e4be96537acca86'),
    ('triggers/audit_log_no_update.sql', 'f65dff0aa33beab67023e2a55f9081f51ece7d006b2f45148624a396cd94534f'),
    ('triggers/audit_marks_no_truncate.sql', '49852fb5b460d44351d5707fab6efa7c9cd29bab54079bb1eb8d826769ae90c4'),
    ('triggers/audit_marks_no_update.sql', 'de16497e451628f0bd279e4a6e8bbde8530f656d546085f5fe4ba13cdfeba347'),
    ('triggers/audit_seals_no_truncate.sql', 'c0d8da0d79b0947979df0b37ccb657eec6e64f7571b1be72435db332c98fb6d4'),
    ('triggers/audit_seals_no_update.sql', 'dc69308f513ed3142e105a322c4437cf1b82283cb69525f4afcea325775f06e1'),
    ('triggers/bank_branches_grams.sql', 'df5ac44ee214b2bd3aa3aa9ceaaa7920261228c2bec63e889fa6c7cf5bb24cea'),
    ('triggers/bank_branches_ref.sql', 'd00ee1f205079e3a24b445df1ab28e14621a25020a5ce6a60d86c11550df3d59'),
    ('triggers/banks_ref.sql', 'ec62f7e83d61bde99b5e673e81dfbda5ec0a73f1e58220ce6b12d819750d4de6'),
    ('triggers/certificates_order_keys.sql', '3b6906511de20247d6467096dfd7f45cf97b6049bdc54c14c0805d6c95d94733'),
    ('triggers/divisions_ref.sql', '74ddf9aec24d40822a7dfafc00f0b7b2feffae37f152f4480dbe5ce1c09a443b'),
    ('triggers/order_counts_clear.sql', '7c384815fbc226cabfefefad538146d571298de84ad781541990cbbc0acb7716'),
    ('triggers/order_counts_move.sql', '2dffb016ea3475165cf31f03864a70c493f9335b380d40f09c32c3d0d6b0a434'),
    ('triggers/order_counts_remove.sql', '8f8b3d4fda15b66c84ddd9b0498d5ce5377a5c0600afbdec26bc9829b0870333'),
    ('triggers/orders_added.sql', '9e6295f822bb707e181292258421c1fa356e756712224f6e9f66abf492f26d32'),
    ('triggers/orders_gift.sql', 'b17cf8032d00413d8fd7e790c9776aba5b27a3f9b5e8d3712d5ef31a282fef9b'),
    ('triggers/orders_insert.sql', '39980f55c2ba225658726916520d50c83ed11eae1a318bbd335535e17f5a6a44'),
    ('triggers/orders_reached.sql', 'a84ca27f128231d7ed307a2d1acbc067317d881080616ff1ae75c9482c72ccd1'),
    ('triggers/outbox_notify.sql', 'b31b4bec741a4053ca4019ec00418feede436f2279e4bdcfb1a5ade59d9101b8'),
    ('triggers/partners_ref.sql', 'bf7d462059be63cfcb7f62dd2ffea46b7d8246b597cf9fb3e3438c1d846b7a61'),
    ('triggers/pay_merchants_ref.sql', 'b8a3e9a74630ae5faa47e97a04d82f9fe10ff3b5936ba856bcb13b1bf0e59106'),
    ('triggers/products_ref.sql', '2fbdd30c4d51005222a869a197376175605ea87ccc62c97d2fdd3564591d90ea'),
    ('triggers/report_mark_certs.sql', '3ae831f6b17c65c72901fce1cc1f387639dcb929463f61bde5ea2719252fa852'),
    ('triggers/report_mark_certs_update.sql', '838b9a698651ce72403decf99497d4790aad98c5291f90ef5b190368ea9b2554'),
    ('triggers/report_mark_finauth.sql', 'c528c570c6f5034e35bd042f005fbd41c49c14e9413507a39eebe23622828875'),
    ('triggers/report_mark_finauth_update.sql', '2a7cbf4aebde14371088f8f92dc069e1123c0b97258e49b312b9e0e4f46b298f'),
    ('triggers/report_mark_orders.sql', 'ba7d29502f203b2092b9fde3870b2bf4fb08db609794b997326d47ecbaf52b81'),
    ('triggers/report_mark_orders_delete.sql', 'ca5e84469cc03ee7aa332f04740e3c998005eea87fcd288c0c83e94d295918b5'),
    ('triggers/report_mark_orders_update.sql', '9f40a2db98da78758338208f374e8c672fb89361e5e90bef542589002362503d'),
    ('triggers/report_mark_payments.sql', '02d14e6841070b3ba44c4157395a8c6464024251ebd77e3790231f8b20bb30fc'),
    ('triggers/report_mark_payments_update.sql', 'd4dc4951c481c52986a91f9851329c74caa5bb347b164d6c7abb7dbd16af7815'),
    ('triggers/report_mark_refunds.sql', 'f8c587edef2aa709972403b9491417df7dba2a1170616312a6311b315c0f36ba'),
    ('triggers/report_mark_refunds_update.sql', '2c1b16fb57f8e3db1a9dcc668cf5aef7e376bcb8e5b52d5ec402cd0fa371657c'),
    ('triggers/user_daily_uploads.sql', 'cf6a8ff61dde08433ae14877a4dcc39c8f3615518ab281829c2c3f3a87c186e3');
